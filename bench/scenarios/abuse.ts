import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  ACTION_UNITS,
  BUDGETS,
  createGroupUnits,
  DEFAULT_FRAME_UNITS,
  presenceSubscriptionUnits,
  subscribePresenceUnits,
  UNITS_PER_MEMBER_ADDED,
  UNITS_PER_MEMBER_TOLD,
  UNITS_PER_MESSAGE_RECIPIENT,
  type BudgetName,
} from '../../lambdas/domain/budget';
import { MAX_SENDS_PER_SECOND } from '../../lambdas/domain/chat/commit-message';
import { BenchUser, closeUsers, type Frame } from '../bench-user';
import type { CloudClient } from '../cloud';
import { usageOf } from '../costs';
import { metered } from './aws-calls';

/** The stage's throttle (lib/constructs/websocket-gateway.ts): what API Gateway lets through before any function runs. */
const STAGE_RATE_PER_SECOND = 1000;

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
  /** Frames one user can send in an hour that starts with full budgets: the least any of its limits allows. */
  readonly framesPerHour: number;
  readonly limitedBy: string;
  readonly dollarsPerHour: number;
}

export interface AbuseReport {
  readonly groupSize: number;
  readonly rows: AbuseRow[];
  readonly worst: { readonly action: string; readonly dollarsPerHour: number };
}

/** Frames an hour that a budget allows for a frame of `units`: its burst, then its refill. */
function framesAllowed(budget: BudgetName, units: number): number {
  const { burst, perSecond } = BUDGETS[budget];
  return Math.floor((burst + perSecond * 3600) / units);
}

interface Case {
  readonly action: string;
  readonly frame: string;
  readonly units: Partial<Record<BudgetName, number>>;
  /** Other limits than the budgets, as frames an hour. */
  readonly otherLimits?: Record<string, number>;
  /** Sends the frame and resolves once its reply (or, for actions that answer nothing, its effect) arrived. */
  readonly run: () => Promise<void>;
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
    const [owner, member, peer, creator] = [await user('owner'), await user('member'), await user('peer'), await user('creator')];
    // The big group every group action works in: `member` is in it with the owner and offline made-up users.
    const big = await expectReply(owner, { action: 'createGroup', name: 'abuse', members: [member.userId, ...filler('o', groupSize - 2)] }, 'thread');
    const threadId = String(big.threadId);
    await expectReply(owner, { action: 'sendMessage', clientMsgId: 'first', threadId, text: 'the first message' }, 'ack');
    await expectReply(member, { action: 'sendMessage', clientMsgId: 'dm', to: peer.userId, text: 'hello' }, 'ack');
    const small = await expectReply(peer, { action: 'createGroup', name: 'small', members: [member.userId] }, 'thread');
    const token = `bench-${runId}`;

    const cases: Case[] = [
      { action: 'ping', frame: 'ping', units: { actions: DEFAULT_FRAME_UNITS }, run: async () => void (await expectReply(member, { action: 'ping' }, 'pong')) },
      { action: '$default', frame: 'an unknown action', units: { actions: DEFAULT_FRAME_UNITS }, run: async () => void (await expectReply(member, { action: 'nope' }, 'error')) },
      {
        action: 'sendMessage',
        frame: '1:1, to an online user',
        units: { actions: ACTION_UNITS.sendMessage },
        otherLimits: { [`${MAX_SENDS_PER_SECOND} sends a second`]: MAX_SENDS_PER_SECOND * 3600 },
        run: async () => void (await expectReply(member, { action: 'sendMessage', clientMsgId: 'one', to: peer.userId, text: 'a 1:1 message' }, 'ack')),
      },
      {
        action: 'sendMessage',
        frame: `into a ${groupSize}-member group`,
        units: { actions: ACTION_UNITS.sendMessage + UNITS_PER_MESSAGE_RECIPIENT * (groupSize - 2) },
        otherLimits: { [`${MAX_SENDS_PER_SECOND} sends a second`]: MAX_SENDS_PER_SECOND * 3600 },
        run: async () => void (await expectReply(member, { action: 'sendMessage', clientMsgId: 'big', threadId, text: 'to everyone' }, 'ack')),
      },
      {
        action: 'ack',
        frame: `a read receipt in a ${groupSize}-member group`,
        units: { actions: ACTION_UNITS.ack + UNITS_PER_MEMBER_TOLD * (groupSize - 1) },
        run: async () => {
          const told = owner.next((got) => got.type === 'receipt' && got.userId === member.userId);
          member.send({ action: 'ack', threadId, seq: 1, status: 'read' });
          await told;
        },
      },
      {
        action: 'typing',
        frame: `in a ${groupSize}-member group`,
        units: { actions: ACTION_UNITS.typing + UNITS_PER_MEMBER_TOLD * (groupSize - 1) },
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
        run: async () => void (await expectReply(creator, { action: 'createGroup', name: 'worst', members: filler('c', groupSize - 1) }, 'thread')),
      },
      {
        action: 'addMembers',
        frame: `${groupSize - 2} members to a 2-member group`,
        units: { actions: ACTION_UNITS.addMembers + UNITS_PER_MEMBER_ADDED * (groupSize - 2) + UNITS_PER_MEMBER_TOLD * 2, membersAdded: groupSize - 2 },
        run: async () => void (await expectReply(peer, { action: 'addMembers', threadId: small.threadId, userIds: filler('n', groupSize - 2) }, 'thread')),
      },
      {
        action: 'removeMember',
        frame: `from a ${groupSize}-member group`,
        units: { actions: ACTION_UNITS.removeMember + UNITS_PER_MEMBER_TOLD * groupSize },
        run: async () => void (await expectReply(owner, { action: 'removeMember', threadId, userId: filler('o', 1)[0] }, 'thread')),
      },
      {
        action: 'subscribePresence',
        frame: '500 users',
        units: { actions: subscribePresenceUnits(filler('p', 500)) + presenceSubscriptionUnits({ added: 500, listSize: 500 }) },
        run: async () => void (await expectReply(member, { action: 'subscribePresence', userIds: filler('p', 500) }, 'presence')),
      },
      { action: 'listThreads', frame: 'a page', units: { actions: ACTION_UNITS.listThreads }, run: async () => void (await expectReply(member, { action: 'listThreads' }, 'threads')) },
      { action: 'getMessages', frame: 'a page of 100', units: { actions: ACTION_UNITS.getMessages }, run: async () => void (await expectReply(member, { action: 'getMessages', threadId, limit: 100 }, 'messages')) },
      { action: 'registerPush', frame: 'an FCM token', units: { actions: ACTION_UNITS.registerPush }, run: async () => void (await expectReply(member, { action: 'registerPush', platform: 'fcm', token }, 'pushRegistered')) },
      { action: 'unregisterPush', frame: 'that token', units: { actions: ACTION_UNITS.unregisterPush }, run: async () => void (await expectReply(member, { action: 'unregisterPush', platform: 'fcm', token }, 'pushUnregistered')) },
      { action: '$connect + $disconnect', frame: 'a handshake, then a close', units: { actions: ACTION_UNITS.connect }, run: async () => (await BenchUser.connect(cloud, `a${runId}peer`)).close() },
    ];

    const rows: AbuseRow[] = [];
    for (const entry of cases) {
      const { snapshot, frames } = await metered(cloud, users, entry.run);
      rows.push(rowOf(entry, usageOf(entry.action, snapshot, 1, { apiGatewayMessages: frames, keyspacesWriteUnits: entry.action === 'sendMessage' ? 1 : 0 })));
    }

    // A frame refused over budget: the flooder's budget is spent, as their other frames would have spent it.
    await spend(cloud, member.userId);
    const refused = await metered(cloud, users, async () => {
      for (let i = 0; i < 20; i++) await expectReply(member, { action: 'ping' }, 'error');
    });
    const refusedUsage = usageOf('refused', refused.snapshot, 20, { apiGatewayMessages: refused.frames, keyspacesWriteUnits: 0 });
    rows.push({
      ...rowOf({ action: 'any, over budget', frame: 'refused with rate_limited', units: {}, run: async () => undefined }, refusedUsage),
      framesPerHour: STAGE_RATE_PER_SECOND * 3600,
      limitedBy: `the stage's ${STAGE_RATE_PER_SECOND} frames a second, shared by all users`,
      dollarsPerHour: round(STAGE_RATE_PER_SECOND * 3600 * (refusedUsage.dollarsPerMillion.total / 1e6), 2),
    });
    const budgeted = rows.filter((row) => row.action !== 'any, over budget');
    const worst = budgeted.reduce((a, b) => (b.dollarsPerHour > a.dollarsPerHour ? b : a));
    return { groupSize, rows, worst: { action: `${worst.action} (${worst.frame})`, dollarsPerHour: worst.dollarsPerHour } };
  } finally {
    await closeUsers(users);
  }
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

function rowOf(entry: Case, usage: ReturnType<typeof usageOf>): AbuseRow {
  const calls: Record<string, number> = {};
  for (const perFunction of Object.values(usage.sdkCalls)) for (const [name, count] of Object.entries(perFunction)) calls[name] = (calls[name] ?? 0) + count;
  const limits: Array<[string, number]> = [
    ...Object.entries(entry.units).map(([budget, units]) => [`${budget} budget`, framesAllowed(budget as BudgetName, units)] as [string, number]),
    ...Object.entries(entry.otherLimits ?? {}),
  ];
  const [limitedBy, framesPerHour] = limits.length > 0 ? limits.reduce((a, b) => (b[1] < a[1] ? b : a)) : ['', 0];
  const dollarsPerFrame = usage.dollarsPerMillion.total / 1e6;
  return {
    action: entry.action,
    frame: entry.frame,
    sdkCalls: round(Object.values(calls).reduce((sum, count) => sum + count, 0), 1),
    sdkCallsByOperation: calls,
    units: entry.units,
    dollarsPerFrame,
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
    `Worst budgeted user: ${report.worst.action}, $${report.worst.dollarsPerHour.toFixed(3)} an hour (target: under $2).`,
  ].join('\n');
}
