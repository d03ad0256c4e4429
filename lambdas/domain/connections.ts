import type { ConnectionRecord, ConnectionRegistry } from './ports';

export interface ConnectionPolicy {
  /** Seconds without activity after which a connection counts as stale. */
  readonly idleTimeoutSeconds: number;
}

export interface ConnectionActivity {
  readonly userId: string;
  readonly connectionId: string;
  readonly deviceId?: string;
  readonly now: number;
}

function staleAfter(now: number, policy: ConnectionPolicy): number {
  return Math.floor(now / 1000) + policy.idleTimeoutSeconds;
}

export async function openConnection(
  registry: ConnectionRegistry,
  policy: ConnectionPolicy,
  request: ConnectionActivity,
): Promise<ConnectionRecord> {
  const record: ConnectionRecord = {
    userId: request.userId,
    connectionId: request.connectionId,
    deviceId: request.deviceId ?? request.connectionId,
    connectedAt: request.now,
    lastActiveAt: request.now,
    expiresAt: staleAfter(request.now, policy),
  };
  await registry.register(record);
  return record;
}

/** Records that a connection is alive, as a ping proves. */
export async function keepAlive(
  registry: ConnectionRegistry,
  policy: ConnectionPolicy,
  request: ConnectionActivity,
): Promise<void> {
  await registry.touch({
    userId: request.userId,
    connectionId: request.connectionId,
    deviceId: request.deviceId ?? request.connectionId,
    connectedAt: request.now,
    lastActiveAt: request.now,
    expiresAt: staleAfter(request.now, policy),
  });
}

export function closeConnection(registry: ConnectionRegistry, userId: string, connectionId: string): Promise<void> {
  return registry.remove(userId, connectionId);
}
