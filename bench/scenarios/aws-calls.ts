import { closeUsers, connectUsers, type BenchUser } from '../bench-user';
import type { CloudClient, MeterSnapshot } from '../cloud';
import { roundTripsBeforeAck, usageOf, type OperationUsage } from '../costs';
import { ROW_ACTIVITY_LAG_MS } from '../../lambdas/domain/chat/threads';
import { pathPart, type PathPart } from '../memory-sizing';
import { distribution, sleep, type Distribution } from '../stats';

export interface AwsCallsReport {
  readonly operations: OperationUsage[];
  /** Sequential AWS round trips before the `sent` ack, over the 1:1 sends measured. */
  readonly roundTripsBeforeAck: Distribution;
  /** The parts of the user-facing paths each function makes, for memory sizing (bench/memory-sizing.ts). */
  readonly userPaths: PathPart[];
}

/** At least this long for the batching window, the persistence function and the stream to start. */
const SETTLE_MS = 1500;

/**
 * Then until no function has finished an invocation for this long: a 1024-member group's tail
 * (the relay moving every member's thread row) outlasts any fixed wait, and would be counted
 * against the next thing metered.
 */
const QUIET_MS = 2500;

/** Gives up waiting for quiet after this long (the minute's sweep and pollers never stop). */
const MAX_SETTLE_MS = 180_000;

const framesOf = (users: readonly BenchUser[]) => users.reduce((sum, user) => sum + user.framesSent + user.framesReceived, 0);

/** Runs `work` between a meter reset and a settled snapshot, counting the frames the users exchanged. */
export async function metered(cloud: CloudClient, users: readonly BenchUser[], work: () => Promise<void>): Promise<{ snapshot: MeterSnapshot; frames: number }> {
  await settle(cloud);
  await cloud.resetMeter();
  const framesBefore = framesOf(users);
  await work();
  await settle(cloud);
  return { snapshot: await cloud.meter(), frames: framesOf(users) - framesBefore };
}

/** Waits until what was started has finished: SETTLE_MS, then QUIET_MS without a finished invocation. */
export async function settle(cloud: CloudClient): Promise<void> {
  const startedAt = Date.now();
  await sleep(SETTLE_MS);
  const finished = async () => {
    const { invocations, droppedInvocations } = await cloud.meter();
    return invocations.length + droppedInvocations;
  };
  let seen = await finished();
  let quietSince = Date.now();
  while (Date.now() - quietSince < QUIET_MS && Date.now() - startedAt < MAX_SETTLE_MS) {
    await sleep(500);
    const now = await finished();
    if (now !== seen) [seen, quietSince] = [now, Date.now()];
  }
}

async function sendAndWait(sender: BenchUser, recipients: readonly BenchUser[], frame: Record<string, unknown>, clientMsgId: string): Promise<void> {
  const arrivals = recipients.map((recipient) => recipient.next((got) => got.type === 'message' && got.clientMsgId === clientMsgId));
  const acked = sender.next((got) => got.reqId === clientMsgId);
  sender.send({ ...frame, clientMsgId, reqId: clientMsgId });
  const { frame: reply } = await acked;
  if (reply.type !== 'ack') throw new Error(`send failed: ${JSON.stringify(reply)}`);
  await Promise.all(arrivals);
}

/** A conversation's first 1:1 message after a pause of a minute or more (full runs only: it waits out the minute). */
export const PAUSED_MESSAGE = '1:1 message after a minute’s pause';

/** The token lifetimes connections are measured with, and the suffix of their operations' names. */
export const TOKEN_LIFETIMES = [
  { suffix: '', tokenSeconds: 86_400 },
  { suffix: ', 1-hour token', tokenSeconds: 3_600 },
] as const;

/**
 * Every AWS call each function makes, and what it costs, per operation: a 1:1 message (send, ack,
 * one delivery, persistence), a message to a 50-member group, a receipt, a connect and a
 * disconnect (with a day's token and with an hour's), and, when asked, a 1:1 message after a
 * minute's pause in its conversation. Each is run `samples` times one after another, metered by the local cloud's SDK
 * middleware, and averaged. 1:1 messages run in `pairs` conversations at once, as in a busy
 * system, so that persistence works in batches as it does in production rather than a message
 * at a time.
 */
export async function measureAwsCalls(
  cloud: CloudClient,
  samples: number,
  pairs: number,
  runId: string,
  { afterAPause = false }: { readonly afterAPause?: boolean } = {},
): Promise<AwsCallsReport> {
  const operations: OperationUsage[] = [];

  // What a connection costs depends on its token's lifetime: one that ends before the connection's
  // 2 hours is indexed for the token-expiry sweep (one more write on connect and on disconnect).
  // Identity providers differ (an hour is common, a day the most the authorizer accepts): both are measured.
  /** The handshakes with the day-long token, for the memory sizing's paths. */
  let handshakes: MeterSnapshot | undefined;
  for (const { suffix, tokenSeconds } of TOKEN_LIFETIMES) {
    const joiners = Array.from({ length: samples }, (_, index) => `b${runId}c${tokenSeconds}x${index}`);
    let connected: BenchUser[] = [];
    const connects = await metered(cloud, [], async () => {
      connected = await connectUsers(cloud, joiners, 1, tokenSeconds);
    });
    operations.push(usageOf(`connect${suffix}`, connects.snapshot, samples, { apiGatewayMessages: 0, keyspacesWriteUnits: 0 }));
    handshakes ??= connects.snapshot;
    const disconnects = await metered(cloud, [], () => closeUsers(connected));
    operations.push(usageOf(`disconnect${suffix}`, disconnects.snapshot, samples, { apiGatewayMessages: 0, keyspacesWriteUnits: 0 }));
  }

  const group = await connectUsers(cloud, Array.from({ length: Math.max(50, pairs * 2) }, (_, index) => `b${runId}g${index}`));
  try {
    const senders = group.slice(0, pairs);
    const recipients = group.slice(pairs, pairs * 2);
    const [alice, bob] = [senders[0], recipients[0]];
    // Each pair's thread exists before metering: the first message of a pair creates it.
    await Promise.all(senders.map((sender, index) => sendAndWait(sender, [recipients[index]], { action: 'sendMessage', to: recipients[index].userId, text: 'hello' }, 'warm-up')));
    const rowsMovedAt = Date.now();
    let threadId = '';
    const direct = await metered(cloud, group, async () => {
      await Promise.all(
        senders.map(async (sender, pair) => {
          for (let index = 0; index < samples; index++) {
            const ack = sender.next((got) => got.reqId === `d${index}`);
            await sendAndWait(sender, [recipients[pair]], { action: 'sendMessage', to: recipients[pair].userId, text: `direct message ${index} of the benchmark` }, `d${index}`);
            if (pair === 0) threadId = String((await ack).frame.threadId);
          }
        }),
      );
    });
    const directMessages = samples * pairs;
    operations.push(usageOf('1:1 message', direct.snapshot, directMessages, { apiGatewayMessages: direct.frames, keyspacesWriteUnits: directMessages }));
    const roundTrips = roundTripsBeforeAck(direct.snapshot, 'ChatActions');

    const receipts = await metered(cloud, group, async () => {
      for (let index = 0; index < samples; index++) {
        const echoed = alice.next((got) => got.type === 'receipt' && got.seq === index + 2);
        bob.send({ action: 'ack', threadId, seq: index + 2, status: 'read' });
        await echoed;
      }
    });
    operations.push(usageOf('receipt', receipts.snapshot, samples, { apiGatewayMessages: receipts.frames, keyspacesWriteUnits: 0 }));

    const created = alice.next((got) => got.reqId === 'group');
    alice.send({ action: 'createGroup', reqId: 'group', name: 'benchmark 50', members: group.slice(1, 50).map((user) => user.userId) });
    const groupThread = String((await created).frame.threadId);
    await sendAndWait(alice, group.slice(1, 50), { action: 'sendMessage', threadId: groupThread, text: 'warm-up' }, 'gwarm');
    const groupMessages = await metered(cloud, group, async () => {
      for (let index = 0; index < samples; index++) {
        await sendAndWait(alice, group.slice(1, 50), { action: 'sendMessage', threadId: groupThread, text: `group message ${index} of the benchmark` }, `g${index}`);
      }
    });
    operations.push(usageOf('50-member group message', groupMessages.snapshot, samples, { apiGatewayMessages: groupMessages.frames, keyspacesWriteUnits: samples }));

    if (afterAPause) {
      // The messages above came within a minute of their thread's last move of its members' rows, so
      // none moved them (listThreads orders by the heads within that lag). A conversation's first
      // message after a pause of a minute or more moves both rows and their index entries.
      await sleep(Math.max(0, rowsMovedAt + ROW_ACTIVITY_LAG_MS + 2_000 - Date.now()));
      const paused = await metered(cloud, group, async () => {
        await Promise.all(senders.map((sender, pair) => sendAndWait(sender, [recipients[pair]], { action: 'sendMessage', to: recipients[pair].userId, text: 'back after a pause' }, 'paused')));
      });
      operations.push(usageOf(PAUSED_MESSAGE, paused.snapshot, pairs, { apiGatewayMessages: paused.frames, keyspacesWriteUnits: pairs }));
    }
    const userPaths = [
      pathPart('handshake', handshakes!, 'GatewayAuthorizer', 'end'),
      pathPart('handshake', handshakes!, 'Connect', 'end'),
      pathPart('1:1 send to sent ack', direct.snapshot, 'ChatActions', 'first post'),
      pathPart('1:1 send to arrival', direct.snapshot, 'ChatActions', 'last post'),
      pathPart('50-member group send to last arrival', groupMessages.snapshot, 'ChatActions', 'last post'),
      // The relay delivers only what a send did not (it died, or ran past the lease): rarely in a run.
      pathPart('relay delivery', { ...direct.snapshot, invocations: [...direct.snapshot.invocations, ...groupMessages.snapshot.invocations] }, 'RelayFunction', 'last post'),
    ].filter((part): part is PathPart => part !== undefined);
    return { operations, roundTripsBeforeAck: distribution(roundTrips), userPaths };
  } finally {
    await closeUsers(group);
  }
}
