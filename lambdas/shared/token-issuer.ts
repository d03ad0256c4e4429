import { JwtTokenVerifier } from '../adapters/jwt-token-verifier';
import { env } from './config';

/**
 * The environment of a function that verifies tokens (the authorizer and `renewToken`), as the
 * gateway's `tokenEnvironment` sets it: the issuer and its JWKS must be https (http on loopback
 * only), checked at cold start by the same rule as at synth.
 */
export const tokenIssuerEnvironment = {
  TOKEN_ISSUER_URL: env.issuerUrl(),
  TOKEN_JWKS_URI: env.issuerUrl(),
  TOKEN_AUDIENCE: env.name(),
};

/** The verifier of the configured issuer's tokens. */
export function tokenVerifierOf(config: { TOKEN_ISSUER_URL: string; TOKEN_JWKS_URI: string; TOKEN_AUDIENCE: string }): JwtTokenVerifier {
  return new JwtTokenVerifier({ issuer: config.TOKEN_ISSUER_URL, jwksUri: config.TOKEN_JWKS_URI, audience: config.TOKEN_AUDIENCE });
}
