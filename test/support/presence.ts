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

/**
 * Makes `client`'s user and `other` share a thread (their direct one, by a first message), which
 * presence asks of anyone who watches someone.
 */
export async function shareAThread(client: TestClient, other: string): Promise<void> {
  const ack = await client.request({ action: 'sendMessage', clientMsgId: `share-${other}-${Math.random().toString(36).slice(2)}`, to: other, text: 'hi' });
  if (ack.type !== 'ack') throw new Error(`could not share a thread with ${other}: ${JSON.stringify(ack)}`);
}
