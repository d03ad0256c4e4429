import { randomUUID } from 'node:crypto';

/** An error SNS answers with: HTTP status, error code and message. */
export class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const xmlEscape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export function xmlResponse(action: string, result: string): string {
  return (
    `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** `entry.N.key`/`entry.N.value` (or `.Name`/`.Value.StringValue`) lists of the query protocol. */
export function queryMap(params: URLSearchParams, prefix: string, key: string, value: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 1; params.has(`${prefix}.entry.${i}.${key}`); i++) {
    map[params.get(`${prefix}.entry.${i}.${key}`)!] = params.get(`${prefix}.entry.${i}.${value}`) ?? '';
  }
  return map;
}

/** The error document of SNS's query protocol. */
export function xmlError(failure: SnsError): string {
  return (
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${failure.code}</Code>` +
    `<Message>${xmlEscape(failure.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

/** A parameter the action cannot do without. */
export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new SnsError(400, 'InvalidParameter', `Invalid parameter: ${name} is required`);
  return value;
}
