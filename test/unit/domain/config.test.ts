import { ConfigurationError, env, loadConfig } from '../../../lambdas/shared/config';

describe('loadConfig', () => {
  const shape = { TABLE: env.name(), LIMIT: env.positiveInt(), ENDPOINT: env.url(['wss:', 'ws:']) };

  it('parses and converts a valid environment', () => {
    expect(loadConfig(shape, { TABLE: 't', LIMIT: '20', ENDPOINT: 'wss://api.example.com' })).toEqual({
      TABLE: 't',
      LIMIT: 20,
      ENDPOINT: 'wss://api.example.com',
    });
  });

  it('names every missing or invalid variable at once', () => {
    const load = () => loadConfig(shape, { TABLE: '  ', LIMIT: '-1', ENDPOINT: 'https://api.example.com' });
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(/TABLE.*LIMIT.*ENDPOINT: must be a wss: or ws: URL/);
  });

  it('treats an unset variable as an error, not as an empty string', () => {
    expect(() => loadConfig(shape, { LIMIT: '1', ENDPOINT: 'ws://x' })).toThrow(/TABLE/);
  });
});
