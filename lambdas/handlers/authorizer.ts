import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { JwksFetcher } from '../adapters/jwks-fetcher';
import { deviceIdSchema, userIdSchema } from '../../protocol/fields';
import { env, loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';

const config = loadConfig({
  TOKEN_ISSUER_URL: env.url(['https:', 'http:']),
  TOKEN_JWKS_URI: env.url(['https:', 'http:']),
  TOKEN_AUDIENCE: env.name(),
});

const verifier = JwtRsaVerifier.create(
  { issuer: config.TOKEN_ISSUER_URL, jwksUri: config.TOKEN_JWKS_URI, audience: config.TOKEN_AUDIENCE },
  { jwksCache: new SimpleJwksCache({ fetcher: new JwksFetcher() }) },
);

/** API Gateway answers the handshake with 401 when an authorizer fails with exactly this message. */
const UNAUTHORIZED = 'Unauthorized';

function refuse(reason: string): never {
  metrics.addMetric('HandshakesRefused', MetricUnit.Count, 1);
  logger.info('handshake refused', { reason });
  throw new Error(UNAUTHORIZED);
}

/**
 * Checks the JWT in the `token` query parameter on `$connect`. Its `sub` becomes the user id that
 * every later event of the connection carries in `requestContext.authorizer`.
 */
export const handler = instrumented(
  async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const token = event.queryStringParameters?.token;
    if (!token) refuse('no token');

    let subject: unknown;
    try {
      subject = (await verifier.verify(token)).sub;
    } catch (error) {
      refuse(`token rejected: ${(error as Error).message}`);
    }
    const userId = userIdSchema.safeParse(subject);
    if (!userId.success) refuse('token subject is not a valid user id');

    // An invalid device id is left out here and refused with a clear status by $connect.
    const deviceId = deviceIdSchema.safeParse(event.queryStringParameters?.deviceId);
    logger.appendKeys({ userId: userId.data });
    return {
      principalId: userId.data,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: { userId: userId.data, ...(deviceId.success ? { deviceId: deviceId.data } : {}) },
    };
  },
);
