import { Client } from 'cassandra-driver';
import { postFault } from '../support/faults';
import { connectUrl, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';
import { TestClient } from '../support/ws-client';

jest.setTimeout(600_000);

// Its own cloud: the chat function dies at random throughout, which would break every test sharing one.
ownCloudForThisFile();

const PAIRS = 8;
const MESSAGES_PER_SENDER = 10;
/** How long a sender waits for its ack before it counts the send as lost (its function may have died unseen). */
const ACK_DEADLINE_MS = 10_000;

type Frame = Record<string, unknown>;

interface Sender {
  readonly user: string;
  readonly recipient: string;
  readonly client: TestClient;
  /** Half retry a send until it is acked; half give up at its first failure. */
  readonly retries: boolean;
  readonly acks: Frame[];
}

/**
 * One send as a client app makes it: the frame, then its ack, or the gateway's error for an
 * integration that failed (the function died), or nothing in time. Returns the ack, if any.
 */
async function sendOnce(sender: Sender, clientMsgId: string, text: string, attempt: number): Promise<Frame | undefined> {
  const reqId = `${clientMsgId}-${attempt}`;
  const from = sender.client.frames.length;
  sender.client.send({ action: 'sendMessage', reqId, clientMsgId, to: sender.recipient, text });
  const answer = await sender.client
    .waitFor((frame) => sender.client.frames.indexOf(frame) >= from && (frame.reqId === reqId || frame.message === 'Internal server error'), ACK_DEADLINE_MS)
    .catch(() => undefined);
  return answer?.type === 'ack' ? answer : undefined;
}

async function sendAll(sender: Sender): Promise<void> {
  for (let index = 1; index <= MESSAGES_PER_SENDER; index++) {
    const clientMsgId = `${sender.user}-${index}`;
    const text = `message ${index} from ${sender.user}`;
    for (let attempt = 1; ; attempt++) {
      const ack = await sendOnce(sender, clientMsgId, text, attempt);
      if (ack) sender.acks.push(ack);
      if (ack || !sender.retries || attempt === 20) break;
    }
  }
}

describe('chaos: the chat function killed at random while pairs of users send', () => {
  it('loses nothing committed, delivers every acked message live, and keeps every thread gapless without duplicates', async () => {
    const pairs = Array.from({ length: PAIRS }, (_, index) => [uniqueUser(`sender${index}`), uniqueUser(`recipient${index}`)] as const);
    const recipients = new Map<string, TestClient>();
    const senders: Sender[] = [];
    for (const [index, [user, recipient]] of pairs.entries()) {
      recipients.set(recipient, await TestClient.connect(await connectUrl(recipient)));
      senders.push({ user, recipient, client: await TestClient.connect(await connectUrl(user)), retries: index % 2 === 0, acks: [] });
    }

    // A quarter of the chat function's invocations die at a random moment, and one in six of the
    // sends that get that far die right after their commit, before the ack.
    for (const body of [
      { kind: 'kill', function: 'ChatActions', point: 'random', probability: 0.25 },
      { kind: 'kill', function: 'ChatActions', point: 'chat.committed', probability: 0.16 },
    ]) {
      const { status, body: answer } = await postFault(body);
      expect([status, answer]).toEqual([201, expect.anything()]);
    }
    try {
      await Promise.all(senders.map(sendAll));
    } finally {
      await fetch(`${localCloud().baseUrl}/dev/faults`, { method: 'DELETE' });
    }

    // What each thread holds, as its members read it once the dust settles.
    const committed = new Map<string, Frame[]>();
    for (const sender of senders) {
      const page = await sender.client.request({ action: 'getMessages', threadId: directThreadOf(sender), limit: 100 }, 30_000);
      expect(page).toMatchObject({ type: 'messages', hasMore: false });
      committed.set(sender.user, page.messages as Frame[]);
    }

    const cassandra = new Client({ contactPoints: [(await standIns()).cassandra.endpoint], localDataCenter: 'datacenter1' });
    try {
      for (const sender of senders) {
        const messages = committed.get(sender.user)!;
        const threadId = directThreadOf(sender);
        // Gapless, and a retried send made nothing new.
        expect(messages.map((message) => message.seq)).toEqual(messages.map((_, index) => index + 1));
        const clientMsgIds = messages.map((message) => message.clientMsgId);
        expect(new Set(clientMsgIds).size).toBe(clientMsgIds.length);
        // Every ack names a committed message, with the same seq and messageId.
        for (const ack of sender.acks) {
          expect(messages).toContainEqual(expect.objectContaining({ seq: ack.seq, messageId: ack.messageId, clientMsgId: ack.clientMsgId }));
        }
        // Every committed message is in Cassandra.
        await eventually(
          async () => {
            const rows = await cassandra.execute('SELECT seq, message_id FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [threadId], { prepare: true });
            return rows.rows.length === messages.length;
          },
          60_000,
          `the ${messages.length} messages of ${sender.user}'s thread to be in Cassandra`,
        );
        const rows = await cassandra.execute('SELECT seq, message_id FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [threadId], { prepare: true });
        expect(rows.rows.map((row) => [Number(row.seq), row.message_id])).toEqual(messages.map((message) => [message.seq, message.messageId]));
        // Every committed message reached the recipient, online all along, live (acked or not: the sender may have died after the commit).
        const recipient = recipients.get(sender.recipient)!;
        for (const message of messages) {
          await recipient.waitFor((frame) => frame.type === 'message' && frame.messageId === message.messageId, 15_000);
        }
      }
    } finally {
      await cassandra.shutdown();
    }

    const acked = senders.reduce((sum, sender) => sum + sender.acks.length, 0);
    const stats = (await (await fetch(`${localCloud().baseUrl}/dev/stats`)).json()) as { invocations: Array<{ logicalId: string; failed: boolean }> };
    const kills = stats.invocations.filter((invocation) => invocation.logicalId.startsWith('ChatActions') && invocation.failed).length;
    // The run must have been chaotic for its verdict to mean anything.
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(acked).toBeGreaterThanOrEqual(PAIRS * MESSAGES_PER_SENDER * 0.5);
    for (const client of [...recipients.values(), ...senders.map((sender) => sender.client)]) await client.close();
  });
});

/** The one-to-one thread of a sender and its recipient, as its acks name it. */
function directThreadOf(sender: Sender): string {
  const threadId = sender.acks[0]?.threadId;
  if (typeof threadId !== 'string') throw new Error(`${sender.user} got no ack at all, so its thread is unknown`);
  return threadId;
}
