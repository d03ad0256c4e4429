import type { TestClient } from './ws-client';

export type PresenceFrame = { type: string; reqId?: string; users: Array<{ userId: string; status: string; lastSeen?: number }> };

/** The first pushed (not requested) presence frame about `userId` with the given status. */
export function presenceOf(client: TestClient, userId: string, status: string, timeoutMs?: number) {
  return client
    .waitFor(
      (frame) => frame.type === 'presence' && frame.reqId === undefined && (frame as PresenceFrame).users.some((user) => user.userId === userId && user.status === status),
      timeoutMs,
    )
    .then((frame) => (frame as PresenceFrame).users.find((user) => user.userId === userId)!);
}
