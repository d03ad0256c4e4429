import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Every DynamoDB call has a bound, so that a single hung call cannot outlast a send's seq budget
 * (lambdas/domain/chat/commit-message.ts) nor API Gateway's 29 s wait. DynamoDB answers item calls
 * in milliseconds and the largest page (1 MB) well within a second, so a call still unanswered
 * after 2 s is hung: it is abandoned and tried again (the SDK retries timeouts; transactions carry
 * an idempotency token, so a retried one that had committed answers as the first). Three
 * attempts, as the SDK's default, keep one call under about 7 s at worst, connection included.
 */
const DYNAMODB_CALL_BOUNDS = {
  /** TCP and TLS to the regional endpoint take milliseconds; a second means no route. */
  connectionTimeout: 1000,
  requestTimeout: 2000,
  /** Without it the SDK only warns when requestTimeout passes, and keeps waiting. */
  throwOnRequestTimeout: true,
  maxAttempts: 3,
} as const;

const { maxAttempts, ...requestHandler } = DYNAMODB_CALL_BOUNDS;

/** Created once per execution environment and reused by every invocation. */
export const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts, requestHandler }), {
  marshallOptions: { removeUndefinedValues: true },
});
