import { insecureIssuerUrlProblem } from '../../../lib/constructs/identity';
import { loadConfig } from '../../../lambdas/shared/config';
import { tokenIssuerEnvironment } from '../../../lambdas/shared/token-issuer';

const HANDLERS = ['authorizer', 'renew-token'] as const;

/** Loads a handler module afresh (a cold start) under an environment changed as given. */
function coldStart(handler: (typeof HANDLERS)[number], changes: Record<string, string>): void {
  const saved = { ...process.env };
  Object.assign(process.env, changes);
  try {
    jest.isolateModules(() => {
      require(`../../../lambdas/handlers/${handler}`);
    });
  } finally {
    process.env = saved;
  }
}

describe('the token issuer a function trusts, checked at cold start', () => {
  it.each(HANDLERS)('%s refuses to start with an issuer or JWKS URI over plain http to another host, naming it', (handler) => {
    // The module's own ConfigurationError (a fresh module registry has its own class).
    expect(() => coldStart(handler, { TOKEN_ISSUER_URL: 'http://issuer.example.com/pool' })).toThrow(
      /^Invalid environment: TOKEN_ISSUER_URL: "http:\/\/issuer.example.com\/pool" must be an https URL/,
    );
    expect(() => coldStart(handler, { TOKEN_JWKS_URI: 'http://issuer.example.com/pool/.well-known/jwks.json' })).toThrow(/TOKEN_JWKS_URI: .* must be an https URL/);
  });

  it.each(HANDLERS)('%s starts with https, and with plain http on loopback (the local cloud)', (handler) => {
    expect(() => coldStart(handler, {})).not.toThrow();
    expect(() => coldStart(handler, { TOKEN_ISSUER_URL: 'http://127.0.0.1:8080/dev', TOKEN_JWKS_URI: 'http://localhost:8080/dev/jwks.json' })).not.toThrow();
  });

  it('follows the one rule synth applies (lib/constructs/identity.ts)', () => {
    const urls = ['https://issuer.example.com', 'http://issuer.example.com', 'http://127.0.0.1:8080/dev', 'http://localhost/x', 'http://[::1]:8080/', 'http://127.0.0.2/', 'ftp://127.0.0.1/', 'not a url'];
    for (const url of urls) {
      const atSynth = insecureIssuerUrlProblem(url) === undefined;
      const atColdStart = (() => {
        try {
          loadConfig(tokenIssuerEnvironment, { TOKEN_ISSUER_URL: url, TOKEN_JWKS_URI: url, TOKEN_AUDIENCE: 'client' });
          return true;
        } catch {
          return false;
        }
      })();
      expect({ url, accepted: atColdStart }).toEqual({ url, accepted: atSynth });
    }
    expect(insecureIssuerUrlProblem('http://127.0.0.1:8080/dev')).toBeUndefined();
    expect(insecureIssuerUrlProblem('http://issuer.example.com')).toBeDefined();
  });
});
