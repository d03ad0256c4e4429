import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { connectionRegistry, localCloud } from './local-cloud-env';

interface LocalFunction {
  readonly logicalId: string;
  readonly functionName: string;
}

/** The template's function whose logical id starts with `prefix`, as the local cloud runs it. */
export async function localFunction(prefix: string): Promise<LocalFunction> {
  const { functions } = (await (await fetch(`${localCloud().baseUrl}/dev/functions`)).json()) as { functions: LocalFunction[] };
  const matches = functions.filter((candidate) => candidate.logicalId.startsWith(prefix));
  if (matches.length !== 1) throw new Error(`expected one function named ${prefix}*, found ${JSON.stringify(functions.map((f) => f.logicalId))}`);
  return matches[0];
}

/** The registry's record of the user's connection from `deviceId`: who the gateway says sent a frame. */
export async function connectionOf(userId: string, deviceId: string): Promise<{ userId: string; deviceId: string; connectionId: string }> {
  const registry = await connectionRegistry();
  try {
    const record = (await registry.connectionsOf(userId)).find((candidate) => candidate.deviceId === deviceId);
    if (record === undefined) throw new Error(`${userId} has no connection from device ${deviceId}`);
    return { userId, deviceId, connectionId: String(record.connectionId) };
  } finally {
    registry.close();
  }
}

/**
 * Hands a client frame to the function that serves its route, in the event the gateway would
 * send for it, through Lambda's Invoke (`POST /dev/invoke`), and returns the function's result
 * once it has finished: whatever the function was going to post to any connection has then been
 * posted. Tests use it where they must show that a frame caused nothing, which a frame sent over
 * the socket cannot show, since nothing says when its function is done.
 */
export async function invokeFrame(
  functionPrefix: string,
  sender: { userId: string; deviceId: string; connectionId: string },
  frame: Record<string, unknown>,
): Promise<unknown> {
  const { logicalId } = await localFunction(functionPrefix);
  const now = Date.now();
  const event = {
    requestContext: {
      routeKey: frame.action,
      eventType: 'MESSAGE',
      messageDirection: 'IN',
      connectionId: sender.connectionId,
      connectedAt: now,
      requestTimeEpoch: now,
      requestId: `test-${now}`,
      messageId: `test-${now}`,
      stage: 'prod',
      apiId: 'local',
      domainName: new URL(localCloud().baseUrl).host,
      identity: { sourceIp: '127.0.0.1' },
      authorizer: { userId: sender.userId, deviceId: sender.deviceId, principalId: sender.userId, integrationLatency: 0 },
    },
    body: JSON.stringify(frame),
    isBase64Encoded: false,
  };
  const response = await fetch(`${localCloud().baseUrl}/dev/invoke?function=${encodeURIComponent(logicalId)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) });
  const answer = (await response.json()) as { result?: unknown; functionError?: string; message?: string };
  if (response.status !== 200 || answer.functionError !== undefined) throw new Error(`${logicalId} failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

/** What a function has logged so far, one JSON entry per line (lines that are not JSON are left out). */
export async function functionLog(functionPrefix: string): Promise<Array<Record<string, unknown>>> {
  const { functionName } = await localFunction(functionPrefix);
  const dataDir = localCloud().dataDir;
  const logDir = path.join(dataDir, 'logs', 'lambda');
  if (!(await readdir(logDir)).includes(`${functionName}.log`)) return [];
  return (await readFile(path.join(logDir, `${functionName}.log`), 'utf8')).split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as unknown;
      return typeof entry === 'object' && entry !== null ? [entry as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
