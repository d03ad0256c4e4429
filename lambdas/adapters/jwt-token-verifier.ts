import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { userIdSchema } from '../../protocol/fields';
import { checkTokenLifetime, TokenRejectedError, type TokenVerifier, type VerifiedToken } from '../domain/tokens';
import { JwksFetcher } from './jwks-fetcher';

export interface TrustedIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: string;
}

/**
 * RS256 tokens of one issuer, checked with aws-jwt-verify (signature against the issuer's JWKS,
 * `iss`, `aud`, `exp`, `nbf`) and the messenger's own rules (lambdas/domain/tokens.ts): an
 * `exp` and `iat` within the allowed lifetime, and a `sub` that is a valid user id.
 */
export class JwtTokenVerifier implements TokenVerifier {
  private readonly verifier;

  constructor(trusted: TrustedIssuer) {
    this.verifier = JwtRsaVerifier.create(
      {
        ...trusted,
        // Runs after the signature and standard claims are checked, inside verify().
        customJwtCheck: ({ payload }) => checkTokenLifetime(payload, Math.floor(Date.now() / 1000)),
      },
      { jwksCache: new SimpleJwksCache({ fetcher: new JwksFetcher() }) },
    );
  }

  async verify(token: string): Promise<VerifiedToken> {
    let payload: { sub?: unknown; exp?: unknown };
    try {
      payload = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof TokenRejectedError) throw error;
      throw new TokenRejectedError(`token rejected: ${(error as Error).message}`);
    }
    const userId = userIdSchema.safeParse(payload.sub);
    if (!userId.success) throw new TokenRejectedError('token subject is not a valid user id');
    return { userId: userId.data, expiresAt: payload.exp as number };
  }
}
