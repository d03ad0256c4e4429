import type { ClientOptions } from 'cassandra-driver';

/** The options the functions' Keyspaces client is built with, for an environment. */
function clientOptionsFor(environment: Record<string, string | undefined>): ClientOptions {
  const saved = { ...process.env };
  Object.assign(process.env, environment);
  for (const [name, value] of Object.entries(environment)) if (value === undefined) delete process.env[name];
  let options: ClientOptions | undefined;
  try {
    jest.isolateModules(() => {
      // The real driver's Client connects on first use only; it is replaced so the options can be read.
      jest.doMock('../../../lambdas/shared/cassandra-driver', () => ({
        ...jest.requireActual('../../../lambdas/shared/cassandra-driver'),
        Client: jest.fn((given: ClientOptions) => {
          options = given;
        }),
      }));
      require('../../../lambdas/shared/clients/keyspaces');
    });
  } finally {
    process.env = saved;
  }
  return options!;
}

describe('the Keyspaces client', () => {
  it('on AWS dials the contact point and every peer on 9142 and gives up on a read well within the function timeout', () => {
    const options = clientOptionsFor({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_KEYSPACES: undefined });
    expect(options.contactPoints).toEqual(['cassandra.eu-west-1.amazonaws.com']);
    expect(options.protocolOptions).toEqual({ port: 9142 });
    expect(options.socketOptions?.connectTimeout).toBeLessThanOrEqual(2000);
    // Connecting and one read, then the staged copies, within the history reader's 10 s.
    expect((options.socketOptions?.connectTimeout ?? 5000) + (options.socketOptions?.readTimeout ?? 12000)).toBeLessThanOrEqual(6000);
  });

  it('locally dials the endpoint AWS_ENDPOINT_URL_KEYSPACES names, with the same timeouts', () => {
    const options = clientOptionsFor({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_KEYSPACES: '127.0.0.1:19042' });
    expect(options.contactPoints).toEqual(['127.0.0.1:19042']);
    expect(options.protocolOptions).toBeUndefined();
    expect(options.socketOptions).toEqual(clientOptionsFor({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_KEYSPACES: undefined }).socketOptions);
  });
});
