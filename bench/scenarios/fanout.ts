import { closeUsers, connectUsers, type BenchUser } from '../bench-user';
import type { CloudClient } from '../cloud';
import { distribution, median, sleep, type Distribution } from '../stats';

export interface FanOutResult {
  readonly members: number;
  readonly messages: number;
  /** send -> `sent` ack, ms. */
  readonly ack: Distribution;
  /** send -> the message on the last member's socket, ms. */
  readonly lastArrival: Distribution;
  /** Members that missed a message within the wait. */
  readonly missed: number;
  /** This group's median ack over the median ack of a 1:1 message sent the same way. */
  readonly ackRatioToDirect: number;
}

export interface FanOutReport {
  /** send -> `sent` ack of 1:1 messages, one at a time, the baseline. */
  readonly directAck: Distribution;
  readonly groups: FanOutResult[];
}

/** One message at a time: send, then wait for the ack and every member's copy. */
async function sendAndWatch(sender: BenchUser, others: readonly BenchUser[], frame: Record<string, unknown>, clientMsgId: string) {
  const acked = sender.next((reply) => reply.type === 'ack' && reply.clientMsgId === clientMsgId);
  const arrivals = others.map((member) =>
    member.next((got) => got.type === 'message' && got.clientMsgId === clientMsgId, 30_000).then(({ at }) => at, () => undefined),
  );
  const sentAt = sender.send({ ...frame, clientMsgId, reqId: clientMsgId });
  const ack = (await acked).at - sentAt;
  const landed = await Promise.all(arrivals);
  const arrived = landed.filter((at): at is number => at !== undefined);
  return { ack, lastArrival: Math.max(...arrived) - sentAt, missed: landed.length - arrived.length };
}

/**
 * Group fan-out: for each group size, all members online, one member sends a few messages one at
 * a time; measured are the sender's ack and the last member's arrival. The baseline is a 1:1
 * message sent the same way, for the ack target (a 1024-member group's ack at most 1.5 times it).
 */
export async function measureFanOut(cloud: CloudClient, sizes: readonly number[], messagesPerGroup: number, runId: string): Promise<FanOutReport> {
  const largest = Math.max(...sizes);
  const users = await connectUsers(cloud, Array.from({ length: largest }, (_, index) => `b${runId}f${index}`));
  try {
    const [alice, bob] = users;
    const direct: number[] = [];
    for (let index = 0; index < messagesPerGroup * 2; index++) {
      direct.push((await sendAndWatch(alice, [bob], { action: 'sendMessage', to: bob.userId, text: `direct ${index}` }, `d${index}`)).ack);
    }
    const directAck = distribution(direct.slice(1));

    const groups: FanOutResult[] = [];
    for (const size of sizes) {
      const [sender, ...others] = users.slice(0, size);
      const reply = sender.next((frame) => frame.reqId === `create${size}`);
      sender.send({ action: 'createGroup', reqId: `create${size}`, name: `fan-out ${size}`, members: others.map((member) => member.userId) });
      const { frame } = await reply;
      if (frame.type !== 'thread') throw new Error(`createGroup for ${size} members failed: ${JSON.stringify(frame)}`);
      await sleep(500);
      const acks: number[] = [];
      const lasts: number[] = [];
      let missed = 0;
      // The first message warms the path; it is not counted.
      // Each message from another member: one user's budget holds about four sends into a 1024-member group (docs/protocol.md).
      const group = [sender, ...others];
      for (let index = 0; index <= messagesPerGroup; index++) {
        const from = group[index % group.length];
        const to = group.filter((member) => member !== from);
        const outcome = await sendAndWatch(from, to, { action: 'sendMessage', threadId: frame.threadId, text: `to ${size} members, ${index}` }, `g${size}m${index}`);
        if (index === 0) continue;
        acks.push(outcome.ack);
        lasts.push(outcome.lastArrival);
        missed += outcome.missed;
      }
      groups.push({
        members: size,
        messages: messagesPerGroup,
        ack: distribution(acks),
        lastArrival: distribution(lasts),
        missed,
        ackRatioToDirect: Math.round((median(acks) / directAck.p50) * 100) / 100,
      });
    }
    return { directAck, groups };
  } finally {
    await closeUsers(users);
  }
}
