import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  ACTION_UNITS,
  addMembersUnits,
  BUDGETS,
  createGroupUnits,
  DEFAULT_FRAME_UNITS,
  MESSAGES_SENT,
  membersToldUnits,
  messagesPageUnits,
  presenceSubscriptionUnits,
  settingsChangeUnits,
  subscribePresenceUnits,
  threadsPageUnits,
  UNITS_PER_MEMBER_TOLD,
  UNITS_PER_MESSAGE_RECIPIENT,
  type BudgetName,
} from '../../lambdas/domain/budget';
import { jsonBytes } from '../../lambdas/domain/chat/reply-budget';
import { FLOOD_LIMIT } from '../../lambdas/domain/flood-guard';
import { MAX_TEXT_LENGTH } from '../../protocol/fields';
import { BenchUser, closeUsers, type Frame } from '../bench-user';
import type { CloudClient } from '../cloud';
import { usageOf } from '../costs';
import { metered } from './aws-calls';

/**
 * Function environments a flood of refused frames keeps busy, each counting refusals on its own
 * (lambdas/domain/flood-guard.ts): the stage's 1,000 frames a second at about 10 ms each. An
 * assumption, not a measurement: docs/protocol.md, "Flooding closes the connection".
 */
const FLOODED_ENVIRONMENTS = 10;

/** Budgets that pay in units, each refilling on its own: a user can be at all their limits at once. */
const UNIT_BUDGETS = ['actions', 'sends', 'acks'] as const satisfies readonly BudgetName[];

/** One action's worst-case frame: what it made AWS do, and what one user doing it at their limits costs an hour. */
export interface AbuseRow {
  readonly action: string;
  readonly frame: string;
  /** AWS SDK calls the frame caused, every function included (the relay, persistence and push after a send). */
  readonly sdkCalls: number;
  readonly sdkCallsByOperation: Record<string, number>;
  /** Units charged to the budgets, by budget. */
  readonly units: Partial<Record<BudgetName, number>>;
  readonly dollarsPerFrame: number;
  /** The frame's dollars per million, by what they pay for (Lambda duration as the AWS estimate, DynamoDB, API Gateway, …). */
  readonly dollarsPerMillionBy: Record<string, number>;
  /** Frames one user can send in an hour that starts with full budgets: the least any of its limits allows. */
  readonly framesPerHour: number;
  readonly limitedBy: string;
  readonly dollarsPerHour: number;
}

export interface AbuseReport {
  readonly groupSize: number;
  readonly rows: AbuseRow[];
  readonly worst: { readonly action: string; readonly dollarsPerHour: number };
  /** A user at every budget's limit at once: for each budget, its dearest action, with a refused flood beside them. */
  readonly worstUser: { readonly dollarsPerHour: number; readonly byBudget: Record<string, { readonly action: string; readonly dollarsPerHour: number }> };
}

/** Frames an hour that a budget allows for a frame of `units`: its burst, then its refill. */
function framesAllowed(budget: BudgetName, units: number): number {
  const { burst, perSecond } = BUDGETS[budget];
  return Math.floor((burst + perSecond * 3600) / units);
}

interface Case {
  readonly action: string;
  readonly frame: string;
  /** Units charged, by budget; a function when what a frame pays depends on what it read (asked after it ran). */
  readonly units: Partial<Record<BudgetName, number>> | (() => Partial<Record<BudgetName, number>>);
  /** Other limits than the budgets, as frames an hour. */
  readonly otherLimits?: Record<string, number>;
  /** Sends the frame and resolves once its reply (or, for actions that answer nothing, its effect) arrived; `sample` counts from 0. */
  readonly run: (sample: number) => Promise<void>;
  /** Frames measured, averaged: more than one where a frame can be repeated as it is, so one slow invocation weighs less. */
  readonly samples?: number;
}

async function reply(user: BenchUser, frame: Frame, timeoutMs = 120_000): Promise<Frame> {
  const reqId = `r${Math.random().toString(36).slice(2, 10)}`;
  const answered = user.next((got) => got.reqId === reqId, timeoutMs);
  user.send({ ...frame, reqId });
  return (await answered).frame;
}

async function expectReply(user: BenchUser, frame: Frame, type: string): Promise<Frame> {
  const got = await reply(user, frame);
  if (got.type !== type) throw new Error(`${String(frame.action)} answered ${JSON.stringify(got).slice(0, 300)}`);
  return got;
}

/** Sends `count` frames one after another, each waiting out a `rate_limited` refusal: setting up, not measured. */
async function sendPaced(user: BenchUser, count: number, frameOf: (index: number) => Frame, type = 'ack'): Promise<void> {
  for (let index = 0; index < count; index++) {
    for (;;) {
      const got = await reply(user, frameOf(index));
      if (got.type === type) break;
      if (got.code !== 'rate_limited') throw new Error(`${String(frameOf(index).action)} answered ${JSON.stringify(got).slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, Number(got.retryAfterMs ?? 100)));
    }
  }
}

/**
 * For each client action, its worst-case frame (in a group of `groupSize` members, the others
 * offline so that each is pushed), run once on a user whose budgets are full and metered with the
 * local cloud's SDK middleware; then what a user sending nothing but that frame, as fast as their
 * budgets and caps let them, costs in an hour. A frame refused over budget, and a handshake, too.
 */
export async function measureAbuse(cloud: CloudClient, groupSize: number, runId: string): Promise<AbuseReport> {
  const users: BenchUser[] = [];
  const user = async (name: string) => {
    const connected = await BenchUser.connect(cloud, `a${runId}${name}`);
    users.push(connected);
    return connected;
  };
  const filler = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}x${runId}`);
  try {
    const [owner, member, peer, creator, stranger] = [await user('owner'), await user('member'), await user('peer'), await user('creator'), await user('stranger')];
    // The big group every group action works in: `member` is in it with the owner and offline made-up users.
    const big = await expectReply(owner, { action: 'createGroup', name: 'abuse', members: [member.userId, ...filler('o', groupSize - 2)] }, 'thread');
    const threadId = String(big.threadId);
    await expectReply(owner, { action: 'sendMessage', clientMsgId: 'first', threadId, text: 'the first message' }, 'ack');
    const dm = await expectReply(member, { action: 'sendMessage', clientMsgId: 'dm', to: peer.userId, text: 'hello' }, 'ack');
    await expectReply(peer, { action: 'acceptRequest', threadId: dm.threadId }, 'requestAccepted');
    const small = await expectReply(peer, { action: 'createGroup', name: 'small', members: [member.userId] }, 'thread');
    // The longest page getMessages gives: 100 messages of the longest text, from the peer.
    await sendPaced(peer, 100, (i) => ({ action: 'sendMessage', clientMsgId: `long${i}`, threadId: dm.threadId, text: 'x'.repeat(MAX_TEXT_LENGTH) }));
    // A first message from a stranger: a request for the member to accept.
    const request = await expectReply(stranger, { action: 'sendMessage', clientMsgId: 'hi', to: member.userId, text: 'do you know me?' }, 'ack');
    // Two people watch the member, whose settings change then tells them.
    for (const watcher of [owner, peer]) await expectReply(watcher, { action: 'subscribePresence', userIds: [member.userId] }, 'presence');
    // A page of 100 blocked people for listBlocks.
    await sendPaced(member, 100, (i) => ({ action: 'blockUser', userId: filler('b', 100)[i] }), 'blocked');
    const token = `bench-${runId}`;
    let page: Frame = {};
    let worstGroup = '';
    const frameUnits = (units: number) => ({ actions: units });

    const cases: Case[] = [
      { action: 'ping', frame: 'ping', units: frameUnits(DEFAULT_FRAME_UNITS), samples: 10, run: async () => void (await expectReply(member, { action: 'ping' }, 'pong')) },
      { action: '$default', frame: 'an unknown action', units: frameUnits(DEFAULT_FRAME_UNITS), run: async () => void (await expectReply(member, { action: 'nope' }, 'error')) },
      {
        action: 'sendMessage',
        frame: '1:1, to an online user',
        units: { sends: ACTION_UNITS.sendMessage },
        otherLimits: { [`${MESSAGES_SENT.perSecond} messages a second`]: MESSAGES_SENT.burst + MESSAGES_SENT.perSecond * 3600 },
        samples: 10,
        run: async (sample) => void (await expectReply(member, { action: 'sendMessage', clientMsgId: `one${sample}`, to: peer.userId, text: 'a 1:1 message' }, 'ack')),
      },
      {
        action: 'sendMessage',
        frame: `into a ${groupSize}-member group`,
        units: { sends: ACTION_UNITS.sendMessage + UNITS_PER_MESSAGE_RECIPIENT * (groupSize - 2) },
        otherLimits: { [`${MESSAGES_SENT.perSecond} messages a second`]: MESSAGES_SENT.burst + MESSAGES_SENT.perSecond * 3600 },
        samples: 3,
        run: async (sample) => void (await expectReply(member, { action: 'sendMessage', clientMsgId: `big${sample}`, threadId, text: 'to everyone' }, 'ack')),
      },
      {
        action: 'ack',
        frame: `a read receipt in a ${groupSize}-member group`,
        units: { acks: ACTION_UNITS.ack + UNITS_PER_MEMBER_TOLD * (groupSize - 1) },
        run: async () => {
          const told = owner.next((got) => got.type === 'receipt' && got.userId === member.userId);
          member.send({ action: 'ack', threadId, seq: 1, status: 'read' });
          await told;
        },
      },
      {
        action: 'ack',
        frame: 'a read receipt in a 1:1 thread',
        units: { acks: ACTION_UNITS.ack + UNITS_PER_MEMBER_TOLD },
        samples: 5,
        run: async (sample) => {
          const told = peer.next((got) => got.type === 'receipt' && got.userId === member.userId && got.seq === sample + 2);
          member.send({ action: 'ack', threadId: dm.threadId, seq: sample + 2, status: 'read' });
          await told;
        },
      },
      {
        action: 'typing',
        frame: `in a ${groupSize}-member group`,
        units: frameUnits(ACTION_UNITS.typing + UNITS_PER_MEMBER_TOLD * (groupSize - 1)),
        run: async () => {
          const told = owner.next((got) => got.type === 'typing' && got.userId === member.userId);
          member.send({ action: 'typing', threadId, state: 'start' });
          await told;
        },
      },
      {
        action: 'createGroup',
        frame: `${groupSize - 1} members`,
        units: { actions: createGroupUnits(ACTION_UNITS.createGroup, filler('c', groupSize - 1)), membersAdded: groupSize - 1, groupsCreated: 1 },
        // The member is among them, by request: the declineRequest below leaves this group.
        run: async () => void (worstGroup = String((await expectReply(creator, { action: 'createGroup', name: 'worst', members: [member.userId, ...filler('c', groupSize - 2)] }, 'thread')).threadId)),
      },
      {
        action: 'addMembers',
        frame: `${groupSize - 2} members to a 2-member group`,
        units: { actions: ACTION_UNITS.addMembers + addMembersUnits(groupSize - 2, 2), membersAdded: groupSize - 2 },
        run: async () => void (await expectReply(peer, { action: 'addMembers', threadId: small.threadId, userIds: filler('n', groupSize - 2) }, 'thread')),
      },
      {
        action: 'removeMember',
        frame: `from a ${groupSize}-member group`,
        units: frameUnits(ACTION_UNITS.removeMember + membersToldUnits(groupSize)),
        run: async () => void (await expectReply(owner, { action: 'removeMember', threadId, userId: filler('o', 1)[0] }, 'thread')),
      },
      {
        action: 'updateGroup',
        frame: `history for new members, in a ${groupSize - 1}-member group`,
        units: frameUnits(DEFAULT_FRAME_UNITS + membersToldUnits(groupSize - 1)),
        run: async () => void (await expectReply(owner, { action: 'updateGroup', threadId, historyForNewMembers: 'sinceJoined' }, 'thread')),
      },
      {
        action: 'declineRequest',
        frame: `leaving a ${groupSize}-member group one was added to`,
        units: frameUnits(DEFAULT_FRAME_UNITS + membersToldUnits(groupSize)),
        run: async () => void (await expectReply(member, { action: 'declineRequest', threadId: worstGroup }, 'requestDeclined')),
      },
      { action: 'acceptRequest', frame: "a stranger's first message", units: frameUnits(DEFAULT_FRAME_UNITS), run: async () => void (await expectReply(member, { action: 'acceptRequest', threadId: request.threadId }, 'requestAccepted')) },
      {
        action: 'subscribePresence',
        frame: '500 users',
        units: frameUnits(subscribePresenceUnits(filler('p', 500)) + presenceSubscriptionUnits({ added: 500, listSize: 500 })),
        run: async () => void (await expectReply(member, { action: 'subscribePresence', userIds: filler('p', 500) }, 'presence')),
      },
      {
        action: 'updateSettings',
        frame: 'active status off, 2 watchers, 500 watched',
        // Told: the two watchers' connections and the member's own; checked again: the watchers and the 500 watched.
        units: frameUnits(DEFAULT_FRAME_UNITS + settingsChangeUnits({ connectionsTold: 3, usersChecked: 502 })),
        run: async () => void (await expectReply(member, { action: 'updateSettings', activeStatus: false }, 'settings')),
      },
      { action: 'getSettings', frame: 'the four settings', units: frameUnits(DEFAULT_FRAME_UNITS), samples: 5, run: async () => void (await expectReply(member, { action: 'getSettings' }, 'settings')) },
      {
        action: 'listThreads',
        frame: 'the first page',
        units: () => {
          const threads = (page.threads ?? []) as Array<{ members?: unknown[] }>;
          const membersRead = threads.reduce((sum, thread) => sum + (thread.members?.length ?? 0), 0);
          return frameUnits(ACTION_UNITS.listThreads + threadsPageUnits({ membersRead, bytesSent: jsonBytes(threads) }));
        },
        run: async () => void (page = await expectReply(member, { action: 'listThreads' }, 'threads')),
      },
      {
        action: 'getMessages',
        frame: `a page of texts of ${MAX_TEXT_LENGTH} characters`,
        units: () => {
          const bytes = jsonBytes(page.messages ?? []);
          return frameUnits(ACTION_UNITS.getMessages + messagesPageUnits({ bytesRead: bytes, bytesSent: bytes }));
        },
        // One frame under 128 KB: about 30 of the 100 asked for, and hasMore.
        run: async () => void (page = await expectReply(member, { action: 'getMessages', threadId: dm.threadId, limit: 100 }, 'messages')),
      },
      { action: 'blockUser', frame: 'someone', units: frameUnits(ACTION_UNITS.blockUser), samples: 5, run: async (sample) => void (await expectReply(member, { action: 'blockUser', userId: filler('x', 5)[sample] }, 'blocked')) },
      { action: 'unblockUser', frame: 'them again', units: frameUnits(ACTION_UNITS.unblockUser), samples: 5, run: async (sample) => void (await expectReply(member, { action: 'unblockUser', userId: filler('x', 5)[sample] }, 'unblocked')) },
      { action: 'listBlocks', frame: 'a page of 100', units: frameUnits(ACTION_UNITS.listBlocks), samples: 5, run: async () => void (await expectReply(member, { action: 'listBlocks' }, 'blocks')) },
      { action: 'renewToken', frame: 'a fresh token', units: frameUnits(ACTION_UNITS.renewToken), samples: 5, run: async () => void (await expectReply(member, { action: 'renewToken', token: await cloud.token(member.userId) }, 'tokenRenewed')) },
      { action: 'registerPush', frame: 'an FCM token', units: frameUnits(ACTION_UNITS.registerPush), run: async () => void (await expectReply(member, { action: 'registerPush', platform: 'fcm', token }, 'pushRegistered')) },
      { action: 'unregisterPush', frame: 'that token', units: frameUnits(ACTION_UNITS.unregisterPush), run: async () => void (await expectReply(member, { action: 'unregisterPush', platform: 'fcm', token }, 'pushUnregistered')) },
      { action: '$connect + $disconnect', frame: 'a handshake, then a close', units: frameUnits(ACTION_UNITS.connect), run: async () => (await BenchUser.connect(cloud, `a${runId}peer`)).close() },
    ];

    const rows: AbuseRow[] = [];
    for (const entry of cases) {
      const samples = entry.samples ?? 1;
      const { snapshot, frames } = await metered(cloud, users, async () => {
        for (let sample = 0; sample < samples; sample++) await entry.run(sample);
      });
      rows.push(rowOf(entry, usageOf(entry.action, snapshot, samples, { apiGatewayMessages: frames, keyspacesWriteUnits: entry.action === 'sendMessage' ? samples : 0 })));
    }

    // A frame refused over budget: the flooder's budget is spent, as their other frames would have spent it.
    await spend(cloud, member.userId);
    const refused = await metered(cloud, users, async () => {
      for (let i = 0; i < 20; i++) await expectReply(member, { action: 'ping' }, 'error');
    });
    const refusedUsage = usageOf('refused', refused.snapshot, 20, { apiGatewayMessages: refused.frames, keyspacesWriteUnits: 0 });
    // A flooder who keeps under the close (lambdas/domain/flood-guard.ts) in every environment it reaches.
    const refusedPerHour = (FLOOD_LIMIT.refusals - 1) * FLOODED_ENVIRONMENTS * (3_600_000 / FLOOD_LIMIT.windowMs);
    const refusedRow: AbuseRow = {
      ...rowOf({ action: 'any, over budget', frame: 'refused with rate_limited', units: {}, run: async () => undefined }, refusedUsage),
      framesPerHour: refusedPerHour,
      limitedBy: `the flood close: ${FLOOD_LIMIT.refusals - 1} refusals a minute in each of ${FLOODED_ENVIRONMENTS} environments`,
      dollarsPerHour: round(refusedPerHour * (refusedUsage.dollarsPerMillion.total / 1e6), 3),
    };
    const worst = rows.reduce((a, b) => (b.dollarsPerHour > a.dollarsPerHour ? b : a));
    // Each budget refills on its own, so one user can spend them all at once: each on its dearest
    // action, and flood refused frames beside them.
    const byBudget: Record<string, { action: string; dollarsPerHour: number }> = {};
    for (const budget of UNIT_BUDGETS) {
      const paying = rows.filter((row) => row.units[budget] !== undefined);
      const dearest = paying.reduce<AbuseRow | undefined>((a, b) => (a === undefined || b.dollarsPerHour > a.dollarsPerHour ? b : a), undefined);
      if (dearest !== undefined) byBudget[budget] = { action: `${dearest.action} (${dearest.frame})`, dollarsPerHour: dearest.dollarsPerHour };
    }
    byBudget.refused = { action: refusedRow.frame, dollarsPerHour: refusedRow.dollarsPerHour };
    const worstUser = { dollarsPerHour: round(Object.values(byBudget).reduce((sum, entry) => sum + entry.dollarsPerHour, 0), 3), byBudget };
    rows.push(refusedRow);
    return { groupSize, rows, worst: { action: `${worst.action} (${worst.frame})`, dollarsPerHour: worst.dollarsPerHour }, worstUser };
  } finally {
    await closeUsers(users);
  }
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

function rowOf(entry: Case, usage: ReturnType<typeof usageOf>): AbuseRow {
  const units = typeof entry.units === 'function' ? entry.units() : entry.units;
  const calls: Record<string, number> = {};
  for (const perFunction of Object.values(usage.sdkCalls)) for (const [name, count] of Object.entries(perFunction)) calls[name] = (calls[name] ?? 0) + count;
  const limits: Array<[string, number]> = [
    ...Object.entries(units).map(([budget, charged]) => [`${budget} budget`, framesAllowed(budget as BudgetName, charged)] as [string, number]),
    ...Object.entries(entry.otherLimits ?? {}),
  ];
  const [limitedBy, framesPerHour] = limits.length > 0 ? limits.reduce((a, b) => (b[1] < a[1] ? b : a)) : ['', 0];
  const dollarsPerFrame = usage.dollarsPerMillion.total / 1e6;
  return {
    action: entry.action,
    frame: entry.frame,
    sdkCalls: round(Object.values(calls).reduce((sum, count) => sum + count, 0), 1),
    sdkCallsByOperation: calls,
    units,
    dollarsPerFrame,
    dollarsPerMillionBy: usage.dollarsPerMillion,
    framesPerHour,
    limitedBy,
    dollarsPerHour: round(framesPerHour * dollarsPerFrame, 3),
  };
}

/** Empties the user's actions budget for the next minute, written directly as the operator. */
async function spend(cloud: CloudClient, userId: string): Promise<void> {
  const { dynamodb } = await cloud.standIns();
  const tableName = Object.entries(dynamodb.tables).find(([logicalId]) => logicalId.startsWith('GatewayBudgets'))?.[1];
  if (tableName === undefined) throw new Error('no budgets table in the local cloud');
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const { burst, perSecond } = BUDGETS.actions;
  const dueAt = Date.now() + (burst * 1000) / perSecond + 60_000;
  try {
    await client.send(new PutCommand({ TableName: tableName, Item: { userId, budget: 'actions', dueAt, expiresAt: Math.ceil(dueAt / 1000) + 60 } }));
  } finally {
    client.destroy();
  }
}

/** The abuse table as text, with the arithmetic of each row. */
export function formatAbuse(report: AbuseReport): string {
  const header = ['action', 'worst-case frame', 'SDK calls', 'units', '$ per frame', 'frames/hour at the limit', 'limited by', '$/hour'];
  const rows = report.rows.map((row) => [
    row.action,
    row.frame,
    String(row.sdkCalls),
    Object.entries(row.units).map(([budget, units]) => `${budget} ${units}`).join(', ') || '-',
    `$${(row.dollarsPerFrame * 1e6).toFixed(2)}/M`,
    String(row.framesPerHour),
    row.limitedBy,
    `$${row.dollarsPerHour.toFixed(3)}`,
  ]);
  const cells = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [
    `Abuse table: each action's worst-case frame (groups of ${report.groupSize}), and one user sending only that frame at their limits for an hour that starts with full budgets`,
    line(header),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...rows.map(line),
    `Dearest single action at its limits: ${report.worst.action}, $${report.worst.dollarsPerHour.toFixed(3)} an hour.`,
    `Worst user, at every budget's limit at once (each budget on its dearest action, a refused flood beside): ${Object.entries(report.worstUser.byBudget)
      .map(([budget, entry]) => `${budget} ${entry.action} $${entry.dollarsPerHour.toFixed(3)}`)
      .join(' + ')} = $${report.worstUser.dollarsPerHour.toFixed(3)} an hour (target: under $2).`,
  ].join('\n');
}
