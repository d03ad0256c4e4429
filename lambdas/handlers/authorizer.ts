import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import type { JwtTokenVerifier } from '../adapters/jwt-token-verifier';
import { deviceIdSchema } from '../../protocol/fields';
import { subprotocolHeader, tokenFromSubprotocols } from '../../protocol/handshake';
import { loadConfig } from '../shared/config';
import { instrumented, logger, metrics } from '../shared/observability';
import { tokenIssuerEnvironment, tokenVerifierOf } from '../shared/token-issuer';

const verifier = tokenVerifierOf(loadConfig(tokenIssuerEnvironment));

/** API Gateway answers the handshake with 401 when an authorizer fails with exactly this message. */
const UNAUTHORIZED = 'Unauthorized';

function refuse(reason: string): never {
  metrics.addMetric('HandshakesRefused', MetricUnit.Count, 1);
  logger.info('handshake refused', { reason });
  throw new Error(UNAUTHORIZED);
}

/**
 * Checks the JWT of `$connect`: offered as a `bearer.<jwt>` subprotocol in `Sec-WebSocket-Protocol`
 * (protocol/handshake.ts), or in the `token` query parameter. Its `sub` becomes the user id that
 * every later event of the connection carries in `requestContext.authorizer`, and its `exp` the
 * `tokenExpiresAt` that `$connect` records, after which the connection is closed unless renewed.
 */
export const handler = instrumented(
  async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const token = tokenFromSubprotocols(subprotocolHeader(event.headers)) ?? event.queryStringParameters?.token;
    if (!token) refuse('no token');

    let verified: Awaited<ReturnType<JwtTokenVerifier['verify']>>;
    try {
      verified = await verifier.verify(token);
    } catch (error) {
      refuse((error as Error).message);
    }

    // An invalid device id is left out here and refused with a clear status by $connect.
    const deviceId = deviceIdSchema.safeParse(event.queryStringParameters?.deviceId);
    logger.appendKeys({ userId: verified.userId });
    return {
      principalId: verified.userId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: {
        userId: verified.userId,
        tokenExpiresAt: verified.expiresAt,
        ...(deviceId.success ? { deviceId: deviceId.data } : {}),
      },
    };
  },
);
