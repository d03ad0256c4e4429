import { TOKEN_ISSUER_CONTEXT } from '../../../lib/app-context';
import { json } from '../../http';
import { arn, REGION } from '../account';
import type { CloudService, HttpRoute, SetupContext } from '../service';
import { LOCAL_AUDIENCE, LocalIdentity } from './local-identity';

const USER_POOL_ID = `${REGION}_local`;

/**
 * Cognito's stand-in: the stack trusts this issuer instead of a user pool (the app is synthesized
 * with it), `/dev/token` signs tokens for any user and `/dev/jwks.json` publishes the key.
 */
export class IdentityService implements CloudService {
  readonly name = 'identity';
  private identity?: LocalIdentity;
  /** `LOCAL_TOKEN_SECONDS`: a token's lifetime when `/dev/token` is not given `expiresIn`. */
  private defaultTokenSeconds = 0;

  async synthContext({ config, baseUrl }: SetupContext): Promise<Record<string, string>> {
    this.identity = await LocalIdentity.open(config.dataDir, `${baseUrl}/dev`);
    this.defaultTokenSeconds = config.tokenSeconds;
    return {
      [TOKEN_ISSUER_CONTEXT.issuerUrl]: this.identity.issuerUrl,
      [TOKEN_ISSUER_CONTEXT.jwksUri]: this.identity.jwksUri,
      [TOKEN_ISSUER_CONTEXT.audience]: LOCAL_AUDIENCE,
    };
  }

  readonly resourceTypes = {
    'AWS::Cognito::UserPool': () => ({
      ref: USER_POOL_ID,
      attributes: { Arn: arn('cognito-idp', `userpool/${USER_POOL_ID}`), ProviderURL: this.started().issuerUrl },
    }),
    'AWS::Cognito::UserPoolClient': () => ({ ref: LOCAL_AUDIENCE, attributes: { ClientId: LOCAL_AUDIENCE } }),
  };

  private started(): LocalIdentity {
    if (this.identity === undefined) throw new Error('the identity service has not been set up');
    return this.identity;
  }

  readonly routes: readonly HttpRoute[] = [
    {
      path: '/dev/jwks.json',
      handle: (_request, response) => {
        if (!this.identity) return json(response, 503, { message: 'starting' });
        return json(response, 200, this.identity.jwks());
      },
    },
    {
      path: '/dev/token',
      handle: async (_request, response, url) => {
        if (!this.identity) return json(response, 503, { message: 'starting' });
        const user = url.searchParams.get('user');
        const expiresIn = url.searchParams.get('expiresIn');
        if (user === null) return json(response, 400, { message: 'user is required, e.g. /dev/token?user=alice' });
        try {
          const seconds = expiresIn === null ? this.defaultTokenSeconds : Number(expiresIn);
          return json(response, 200, { token: await this.identity.issueToken(user, seconds) });
        } catch (error) {
          if (error instanceof RangeError) return json(response, 400, { message: error.message });
          throw error;
        }
      },
    },
  ];

  async stop(): Promise<void> {
    // Nothing runs: the key pair stays in the data folder for the next start.
  }
}

