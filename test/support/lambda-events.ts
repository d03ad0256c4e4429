import type { Context } from 'aws-lambda';

export const lambdaContext = {
  functionName: 'test-function',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test-function',
  memoryLimitInMB: '128',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/test-function',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** A MESSAGE event as API Gateway sends it for a connection the authorizer let in as `userId`. */
export function messageEvent(body: string, userId = 'alice', connectionId = 'conn-1=', extraAuthorizer: Record<string, unknown> = {}) {
  return {
    body,
    isBase64Encoded: false,
    requestContext: {
      routeKey: 'ping',
      eventType: 'MESSAGE' as const,
      messageId: 'm-1',
      extendedRequestId: 'e-1',
      requestTime: '23/Nov/2026:10:00:00 +0000',
      messageDirection: 'IN' as const,
      stage: 'prod',
      connectedAt: 1_764_000_000_000,
      requestTimeEpoch: 1_764_000_000_500,
      identity: { sourceIp: '127.0.0.1' },
      requestId: 'r-1',
      domainName: 'api.example.com',
      connectionId,
      apiId: 'api',
      authorizer: { userId, principalId: userId, ...extraAuthorizer },
    },
  };
}

export function connectEvent(query: Record<string, string> | null, authorizer: Record<string, unknown> | undefined, headers: Record<string, string> = {}) {
  const event = messageEvent('', 'alice');
  return {
    ...event,
    headers,
    body: undefined,
    queryStringParameters: query ?? undefined,
    requestContext: { ...event.requestContext, routeKey: '$connect', eventType: 'CONNECT' as const, authorizer },
  };
}
