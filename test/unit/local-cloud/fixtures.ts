import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Events as AWS documents them: `authorizer-request.json` is the API Gateway developer guide's
 * input to a WebSocket REQUEST authorizer ("Control access to WebSocket APIs with AWS Lambda
 * REQUEST authorizers"), `authorizer-response-allow.json` follows "Output from an API Gateway
 * Lambda authorizer"; the `$connect`, message and `$disconnect` events follow events API Gateway
 * delivered to a Lambda proxy integration, with this stack's route and authorizer context.
 * `async-invocation-record-failure.json` is the Lambda developer guide's example invocation record
 * ("Capturing records of Lambda asynchronous invocations"); `lambda-permissions.json` holds
 * `AWS::Lambda::Permission` resources as `cdk synth` writes them for this stack.
 */
export function fixture<T = Record<string, any>>(name: string): T {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as T;
}

/** A value's shape: every key (recursively) with the JSON type of its value; values themselves left out. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([key, item]) => [key, shapeOf(item)]));
  }
  return typeof value;
}

/** The handshake's raw headers, name and value alternating, as Node.js hands them over. */
export function rawHeadersOf(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat();
}
