/**
 * Refusals as each AWS service sends them, so that the unmodified AWS SDK raises the same error it
 * would on AWS:
 * - DynamoDB (JSON 1.0): 400, `__type` `com.amazon.coral.service#AccessDeniedException`;
 * - SQS (JSON 1.0, query-compatible): 403 with `x-amzn-query-error: AccessDenied;Sender`, and IAM
 *   names the action in lower case (`sqs:sendmessage`);
 * - SNS (query, XML): 403 `AuthorizationError`, the action as `SNS:Publish`;
 * - the `@connections` API (REST JSON): 403 with `x-amzn-ErrorType: AccessDeniedException`, API
 *   Gateway's ACCESS_DENIED gateway response.
 * An access key no one was given gets each service's answer for an invalid security token.
 */
import { randomUUID } from 'node:crypto';
import type { IamService } from './classify';

export interface DenialResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The action as the service's error message spells it. */
export function displayedAction(service: IamService | 'keyspaces', action: string): string {
  if (service === 'sqs') return action.toLowerCase();
  if (service === 'sns') return action.replace(/^sns:/, 'SNS:');
  return action;
}

/** IAM's message for a refused call, as AWS words it. */
export function accessDeniedMessage(
  service: IamService | 'keyspaces',
  sessionArn: string,
  action: string,
  resource: string,
  reason: { kind: 'implicit' } | { kind: 'explicit'; policyKind: 'identity' | 'resource' },
): string {
  const shown = displayedAction(service, action);
  const because =
    reason.kind === 'implicit'
      ? `because no identity-based policy allows the ${shown} action`
      : `with an explicit deny in ${reason.policyKind === 'identity' ? 'an identity-based' : 'a resource-based'} policy`;
  return `User: ${sessionArn} is not authorized to perform: ${shown} on resource: ${resource} ${because}`;
}

const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';

function json(status: number, type: string, message: string, extraHeaders: Record<string, string> = {}): DenialResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...extraHeaders },
    body: JSON.stringify({ __type: type, Message: message }),
  };
}

function snsXml(code: string, message: string): DenialResponse {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const requestId = randomUUID();
  return {
    status: 403,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${escaped}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function restJson(status: number, type: string, message: string): DenialResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ Message: message }),
  };
}

/** The service's answer to a call IAM does not allow. */
export function accessDenied(service: IamService, message: string): DenialResponse {
  switch (service) {
    case 'dynamodb':
      return json(400, 'com.amazon.coral.service#AccessDeniedException', message);
    case 'sqs':
      return json(403, 'com.amazon.coral.service#AccessDeniedException', message, { 'x-amzn-query-error': 'AccessDenied;Sender' });
    case 'sns':
      return snsXml('AuthorizationError', message);
    case 'execute-api':
      return restJson(403, 'AccessDeniedException', message);
  }
}

/** The service's answer to a request signed with an access key it does not know. */
export function invalidAccessKey(service: IamService): DenialResponse {
  switch (service) {
    case 'dynamodb':
      return json(400, 'com.amazon.coral.service#UnrecognizedClientException', INVALID_TOKEN_MESSAGE);
    case 'sqs':
      return json(403, 'com.amazon.coral.service#InvalidClientTokenId', INVALID_TOKEN_MESSAGE, {
        'x-amzn-query-error': 'InvalidClientTokenId;Sender',
      });
    case 'sns':
      return snsXml('InvalidClientTokenId', INVALID_TOKEN_MESSAGE);
    case 'execute-api':
      return restJson(403, 'UnrecognizedClientException', INVALID_TOKEN_MESSAGE);
  }
}
