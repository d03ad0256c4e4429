import { auth } from 'cassandra-driver';
import { KeyspacesSigV4AuthProvider, signKeyspacesChallenge } from '../../../lambdas/adapters/keyspaces-sigv4';

// The worked example that AWS publishes with its Keyspaces SigV4 plugins.
const EXAMPLE = {
  nonce: '91703fdc2ef562e19fbdab0f58e42fe5',
  region: 'us-west-2',
  credentials: { accessKeyId: 'UserID-1', secretAccessKey: 'UserSecretKey-1' },
  date: new Date(1591742511000),
  answer:
    'signature=7f3691c18a81b8ce7457699effbfae5b09b4e0714ab38c1292dbdf082c9ddd87,access_key=UserID-1,amzdate=2020-06-09T22:41:51.000Z',
};

describe('Keyspaces SigV4 authentication', () => {
  it('answers the challenge as AWS documents it', () => {
    expect(signKeyspacesChallenge(EXAMPLE.nonce, EXAMPLE.region, EXAMPLE.credentials, EXAMPLE.date)).toBe(EXAMPLE.answer);
  });

  it('adds the session token of temporary credentials', () => {
    const answer = signKeyspacesChallenge(EXAMPLE.nonce, EXAMPLE.region, { ...EXAMPLE.credentials, sessionToken: 'token-1' }, EXAMPLE.date);
    expect(answer).toBe(`${EXAMPLE.answer},session_token=token-1`);
  });

  it('is an auth provider the driver accepts, asking for SigV4 and answering the nonce', async () => {
    const provider = new KeyspacesSigV4AuthProvider('us-west-2', async () => EXAMPLE.credentials);
    expect(provider).toBeInstanceOf((auth as unknown as { AuthProvider: new () => object }).AuthProvider);
    const authenticator = provider.newAuthenticator();

    const initial = await new Promise<Buffer>((resolve) => authenticator.initialResponse((_: unknown, r: Buffer) => resolve(r)));
    expect(initial.toString('utf8')).toBe('SigV4\0\0');

    const response = await new Promise<Buffer>((resolve, reject) =>
      authenticator.evaluateChallenge(Buffer.from(`nonce=${EXAMPLE.nonce},other=x`), (error: Error | null, r: Buffer) =>
        error ? reject(error) : resolve(r),
      ),
    );
    expect(response.toString()).toMatch(/^signature=[0-9a-f]{64},access_key=UserID-1,amzdate=\d{4}-\d\d-\d\dT/);
  });

  it('fails authentication when the challenge has no nonce', async () => {
    const authenticator = new KeyspacesSigV4AuthProvider('us-west-2', async () => EXAMPLE.credentials).newAuthenticator();
    await expect(
      new Promise((resolve, reject) =>
        authenticator.evaluateChallenge(Buffer.from('garbage'), (error: Error | null, r: Buffer) => (error ? reject(error) : resolve(r))),
      ),
    ).rejects.toThrow(/without a nonce/);
  });
});
