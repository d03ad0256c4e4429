import { RateLimitedError, type BudgetName, type Purse } from '../../lambdas/domain/budget';
import { MEMBERS_PER_TRANSACTION } from '../../lambdas/adapters/dynamodb-group-membership';
import type {
  AddOutcome,
  CommitOutcome,
  CommitRequest,
  ConnectionDirectory,
  ConnectionNotifier,
  DeliveryReport,
  HistoryReader,
  Joining,
  LiveConnection,
  Membership,
  MessageQueue,
  PushRequester,
  Removal,
  RemovalOutcome,
  SendContext,
  SendObserver,
  SendRecord,
  ThreadStore,
} from '../../lambdas/domain/chat/ports';
import type { HistoryForNewMembers, Member, Receipts, ThreadHead, ThreadPosition, UserThread } from '../../lambdas/domain/chat/threads';
import type { StoredMessage } from '../../lambdas/domain/messages';
import { InMemoryUserPairs } from './in-memory-user-pairs';

/** One key per (sender, clientMsgId) pair, whatever they contain, as the DynamoDB store's escaped send keys. */
const sendKey = (senderId: string, clientMsgId: string) => JSON.stringify([senderId, clientMsgId]);

/** The thread store's contract, in memory, for domain tests. */
export class InMemoryThreadStore implements ThreadStore {
  readonly headsById = new Map<string, ThreadHead>();
  readonly members = new Map<string, Set<string>>();
  readonly roles = new Map<string, Member['role']>();
  readonly receipts = new Map<string, Receipts & { userId: string; lastActivity: number; lastSeq: number }>();
  readonly staged = new Map<string, StoredMessage[]>();
  readonly records = new Map<string, SendRecord>();
  /** Outcomes to return instead of committing, one per call, for contention and races. */
  readonly forcedOutcomes: CommitOutcome[] = [];
  /** Where members stand on requests and when they joined, by `threadId/userId`; absent for plain founding members. */
  readonly standing = new Map<string, Pick<Member, 'consent' | 'joinedSeq' | 'requestedBy'>>();

  /** @param pairs the pair states a send reads with its thread, as the DynamoDB store reads the pair item. */
  constructor(readonly pairs = new InMemoryUserPairs()) {}

  addThread(threadId: string, kind: ThreadHead['kind'], members: string[], lastSeq = 0): void {
    this.headsById.set(threadId, { threadId, kind, lastSeq });
    this.members.set(threadId, new Set(members));
    for (const userId of members) this.receipts.set(`${userId}/${threadId}`, { userId, threadId, deliveredSeq: 0, readSeq: 0, lastActivity: 0, lastSeq });
  }

  async loadSendContext(threadId: string, senderId: string, clientMsgId: string): Promise<SendContext> {
    const standing = this.standing.get(`${threadId}/${senderId}`);
    const pair = this.pairs.stateOf(threadId);
    return {
      thread: this.headsById.get(threadId),
      senderIsMember: this.members.get(threadId)?.has(senderId) ?? false,
      ...(standing?.consent === undefined ? {} : { senderConsent: standing.consent, senderRequestedBy: standing.requestedBy }),
      ...(pair === undefined ? {} : { pair }),
      previous: this.records.get(sendKey(senderId, clientMsgId)),
    };
  }

  async commitMessage({ message, payloadDigest, createDirectThread, recipientByRequest, recheckMembership }: CommitRequest): Promise<CommitOutcome> {
    const forced = this.forcedOutcomes.shift();
    if (forced) return forced;
    const key = sendKey(message.senderId, message.clientMsgId);
    if (this.records.has(key)) return { outcome: 'duplicate' };
    const head = this.headsById.get(message.threadId);
    if (createDirectThread ? head !== undefined : head?.lastSeq !== message.seq - 1) return { outcome: 'seq_taken', lastSeq: head?.lastSeq };
    if (recheckMembership && !this.members.get(message.threadId)?.has(message.senderId)) return { outcome: 'not_member' };
    if (createDirectThread) {
      this.addThread(message.threadId, 'dm', [...createDirectThread]);
      const [sender, recipient] = createDirectThread;
      this.pairs.accept(sender, recipient);
      if (recipientByRequest) this.standing.set(`${message.threadId}/${recipient}`, { consent: 'request', requestedBy: sender });
    }
    this.headsById.set(message.threadId, { ...this.headsById.get(message.threadId)!, lastSeq: message.seq, lastActivity: message.sentAt });
    this.staged.set(message.threadId, [...(this.staged.get(message.threadId) ?? []), message]);
    this.records.set(key, { threadId: message.threadId, seq: message.seq, messageId: message.messageId, sentAt: message.sentAt, payloadDigest });
    return { outcome: 'committed' };
  }

  async membersOf(threadId: string): Promise<string[]> {
    return [...(this.members.get(threadId) ?? [])];
  }

  async membership(threadId: string, userId: string): Promise<Membership | undefined> {
    if (!this.members.get(threadId)?.has(userId)) return undefined;
    const { consent, requestedBy, joinedSeq = 0 } = this.standing.get(`${threadId}/${userId}`) ?? {};
    return {
      role: this.roles.get(`${threadId}/${userId}`) ?? 'member',
      joinedSeq,
      ...(consent === undefined ? {} : { consent }),
      ...(requestedBy === undefined ? {} : { requestedBy }),
    };
  }

  async acceptRequest(threadId: string, userId: string, acceptedUserId?: string): Promise<boolean> {
    if (!this.members.get(threadId)?.has(userId)) return false;
    const { joinedSeq } = this.standing.get(`${threadId}/${userId}`) ?? {};
    this.standing.set(`${threadId}/${userId}`, joinedSeq === undefined ? {} : { joinedSeq });
    if (acceptedUserId !== undefined && acceptedUserId !== userId) this.pairs.accept(userId, acceptedUserId);
    return true;
  }

  async declineRequest(threadId: string, userId: string): Promise<boolean> {
    const standing = this.standing.get(`${threadId}/${userId}`);
    if (standing?.consent === undefined) return false;
    this.standing.set(`${threadId}/${userId}`, { ...standing, consent: 'declined' });
    return true;
  }

  async setHistoryForNewMembers(threadId: string, setting: HistoryForNewMembers): Promise<void> {
    this.headsById.set(threadId, { ...this.headsById.get(threadId)!, historyForNewMembers: setting });
  }

  /** Records how members joined: by request, and where the thread stood. */
  private noteJoining(threadId: string, userIds: readonly string[], joining?: Joining): void {
    if (joining === undefined) return;
    const requests = new Set(joining.requests);
    for (const userId of userIds) {
      this.standing.set(`${threadId}/${userId}`, {
        ...(joining.joinedSeq === 0 ? {} : { joinedSeq: joining.joinedSeq }),
        ...(requests.has(userId) ? { consent: 'request' as const, requestedBy: joining.requestedBy } : {}),
      });
    }
  }

  async head(threadId: string): Promise<ThreadHead | undefined> {
    return this.headsById.get(threadId);
  }

  async stagedMessages(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
    return (this.staged.get(threadId) ?? []).filter((message) => message.seq >= fromSeq && message.seq <= toSeq);
  }

  /** As the DynamoDB store: all at once, the creator the only admin. */
  async createGroup(head: ThreadHead, creator: string, members: readonly string[], now: number, joining?: Joining): Promise<void> {
    this.addThread(head.threadId, 'group', [creator, ...members]);
    this.noteJoining(head.threadId, members, joining);
    this.headsById.set(head.threadId, head);
    this.roles.set(`${head.threadId}/${creator}`, 'admin');
    for (const userId of [creator, ...members]) this.receipts.set(`${userId}/${head.threadId}`, { ...this.receipts.get(`${userId}/${head.threadId}`)!, lastActivity: now });
  }

  /** As the DynamoDB store: in steps of MEMBERS_PER_TRANSACTION, each whole or refused by the cap; members stay as they are. */
  async addMembers(threadId: string, userIds: readonly string[], maxMembers: number, now: number, how?: Joining): Promise<AddOutcome> {
    const members = this.members.get(threadId)!;
    const added: string[] = [];
    for (let start = 0; start < userIds.length; start += MEMBERS_PER_TRANSACTION) {
      const joining = userIds.slice(start, start + MEMBERS_PER_TRANSACTION).filter((userId) => !members.has(userId));
      if (members.size + joining.length > maxMembers) return { added, refused: userIds.slice(start).filter((userId) => !members.has(userId)) };
      for (const userId of joining) {
        members.add(userId);
        this.roles.delete(`${threadId}/${userId}`);
        this.receipts.set(`${userId}/${threadId}`, { userId, threadId, deliveredSeq: 0, readSeq: 0, lastActivity: now, lastSeq: 0 });
      }
      this.noteJoining(threadId, joining, how);
      added.push(...joining);
    }
    return { added, refused: [] };
  }

  /** As the DynamoDB store: all or nothing, and only on the roles the removal was planned on. */
  async removeMember(threadId: string, { userId, role, successor }: Removal): Promise<RemovalOutcome> {
    const members = this.members.get(threadId);
    const roleOf = (member: string) => (members?.has(member) ? (this.roles.get(`${threadId}/${member}`) ?? 'member') : undefined);
    const otherAdmins = [...(members ?? [])].filter((member) => member !== userId && roleOf(member) === 'admin');
    if (roleOf(userId) !== role) return 'changed';
    if (successor !== undefined && roleOf(successor) !== 'member') return 'changed';
    if (role === 'admin' && successor === undefined && otherAdmins.length === 0 && members!.size > 1) return 'changed';
    members!.delete(userId);
    this.roles.delete(`${threadId}/${userId}`);
    this.receipts.delete(`${userId}/${threadId}`);
    this.standing.delete(`${threadId}/${userId}`);
    if (successor !== undefined) this.roles.set(`${threadId}/${successor}`, 'admin');
    return 'removed';
  }

  async membersWithRoles(threadId: string): Promise<Member[]> {
    return [...(this.members.get(threadId) ?? [])].map((userId) => ({
      userId,
      role: this.roles.get(`${threadId}/${userId}`) ?? 'member',
      ...this.standing.get(`${threadId}/${userId}`),
    }));
  }

  async heads(threadIds: readonly string[]): Promise<ThreadHead[]> {
    return threadIds.map((threadId) => this.headsById.get(threadId)).filter((head): head is ThreadHead => head !== undefined);
  }

  /** Where the relay last moved each thread's member rows to, by thread. */
  readonly rowActivity = new Map<string, number>();

  async positionsByActivity(userId: string, limit: number, atMost?: number, after?: ThreadPosition): Promise<{ positions: ThreadPosition[]; next?: ThreadPosition }> {
    const newestFirst = (a: ThreadPosition, b: ThreadPosition) => b.lastActivity - a.lastActivity || b.threadId.localeCompare(a.threadId);
    const rows = [...this.receipts.values()]
      .filter((row) => row.userId === userId && (atMost === undefined || row.lastActivity <= atMost))
      .map(({ threadId, lastActivity }) => ({ threadId, lastActivity }))
      .sort(newestFirst)
      .filter((row) => after === undefined || newestFirst(after, row) < 0);
    const positions = rows.slice(0, limit);
    return { positions, ...(rows.length > limit ? { next: positions[positions.length - 1] } : {}) };
  }

  async userThreads(userId: string, threadIds: readonly string[]): Promise<UserThread[]> {
    return threadIds.flatMap((threadId) => {
      const row = this.receipts.get(`${userId}/${threadId}`);
      return row === undefined ? [] : [{ ...row, deliveredSeq: Math.max(row.deliveredSeq, row.readSeq) }];
    });
  }

  async membersAndRowActivity(threadId: string): Promise<{ members: string[]; rowActivity?: number }> {
    const rowActivity = this.rowActivity.get(threadId);
    return { members: await this.membersOf(threadId), ...(rowActivity === undefined ? {} : { rowActivity }) };
  }

  async advanceActivity(threadId: string, members: readonly string[], seq: number, at: number): Promise<void> {
    for (const userId of members) {
      const row = this.receipts.get(`${userId}/${threadId}`);
      if (row && row.lastSeq < seq) this.receipts.set(`${userId}/${threadId}`, { ...row, lastSeq: seq, lastActivity: at });
    }
    this.rowActivity.set(threadId, Math.max(at, this.rowActivity.get(threadId) ?? 0));
  }

  async advanceReceipt(userId: string, threadId: string, seq: number, status: 'delivered' | 'read'): Promise<boolean> {
    const receipt = this.receipts.get(`${userId}/${threadId}`);
    // As the DynamoDB store: a read receipt moves readSeq alone; delivered moves while neither has reached seq.
    if (receipt === undefined || receipt.readSeq >= seq || (status === 'delivered' && receipt.deliveredSeq >= seq)) return false;
    this.receipts.set(`${userId}/${threadId}`, { ...receipt, ...(status === 'read' ? { readSeq: seq } : { deliveredSeq: seq }) });
    return true;
  }
}

export class RecordingQueue implements MessageQueue {
  readonly messages: StoredMessage[] = [];
  /** The messages the queue refuses. */
  constructor(private readonly refuses: (message: StoredMessage) => boolean = () => false) {}
  async enqueueAll(messages: readonly StoredMessage[]): Promise<StoredMessage[]> {
    this.messages.push(...messages.filter((message) => !this.refuses(message)));
    return messages.filter(this.refuses);
  }
}

export class InMemoryHistory implements HistoryReader {
  constructor(readonly messages: StoredMessage[] = []) {}
  async range(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
    return this.messages.filter((message) => message.threadId === threadId && message.seq >= fromSeq && message.seq <= toSeq);
  }
}

export class InMemoryConnections implements ConnectionDirectory {
  readonly forgotten: LiveConnection[] = [];
  constructor(private readonly connections: LiveConnection[]) {}
  /** Every call's users, in order. */
  readonly lookups: string[][] = [];
  async connectionsOf(userIds: readonly string[]): Promise<Map<string, LiveConnection[]>> {
    this.lookups.push([...userIds]);
    return new Map(userIds.map((userId) => [userId, this.connections.filter((connection) => connection.userId === userId && !this.forgotten.includes(connection))]));
  }
  async forget(connection: LiveConnection): Promise<void> {
    this.forgotten.push(connection);
  }
}

export class RecordingNotifier implements ConnectionNotifier {
  /** Every post the code made, in order, with what came of it. */
  readonly attempts: Array<{ connectionId: string; frame: object; outcome: 'delivered' | 'gone' | 'error' }> = [];
  constructor(private readonly outcome: (connectionId: string) => 'delivered' | 'gone' | 'error' = () => 'delivered') {}
  /** The posts that reached their connection. */
  get posts(): Array<{ connectionId: string; frame: object }> {
    return this.attempts.filter((attempt) => attempt.outcome === 'delivered').map(({ connectionId, frame }) => ({ connectionId, frame }));
  }
  async post(connectionId: string, frame: object): Promise<'delivered' | 'gone'> {
    const outcome = this.outcome(connectionId);
    this.attempts.push({ connectionId, frame, outcome });
    if (outcome === 'error') throw new Error('throttled');
    return outcome;
  }
}

export class RecordingPushRequester implements PushRequester {
  readonly requests: Array<Parameters<PushRequester['request']>[0]> = [];
  constructor(private readonly failure?: Error) {}
  async request(push: Parameters<PushRequester['request']>[0]): Promise<void> {
    if (this.failure) throw this.failure;
    this.requests.push(push);
  }
}

/** Records what a send told, in order. */
export class RecordingSendObserver implements SendObserver {
  readonly events: Array<
    | { event: 'committed'; message: StoredMessage; isNew: boolean }
    | { event: 'acked' }
    | { event: 'ackFailed'; error: unknown }
    | { event: 'deliveryFailed'; error: unknown }
    | { event: 'delivered'; report: DeliveryReport }
    | { event: 'pushFailed'; error: unknown }
    | { event: 'markFailed'; error: unknown }
  > = [];
  committed(message: StoredMessage, isNew: boolean): void {
    this.events.push({ event: 'committed', message, isNew });
  }
  acked(): void {
    this.events.push({ event: 'acked' });
  }
  ackFailed(error: unknown): void {
    this.events.push({ event: 'ackFailed', error });
  }
  deliveryFailed(error: unknown): void {
    this.events.push({ event: 'deliveryFailed', error });
  }
  delivered(report: DeliveryReport): void {
    this.events.push({ event: 'delivered', report });
  }
  pushFailed(error: unknown): void {
    this.events.push({ event: 'pushFailed', error });
  }
  markFailed(error: unknown): void {
    this.events.push({ event: 'markFailed', error });
  }
}

/**
 * A user's budgets as a purse: records what was spent and given back, and refuses (as the real
 * one does, taking nothing) any charge that would take a budget past `limits`.
 */
export class InMemoryPurse implements Purse {
  readonly spent = new Map<BudgetName, number>();
  /** Messages counted (MESSAGES_SENT), less those given back. */
  messages = 0;
  readonly refusals: Array<{ units: number; budget: BudgetName }> = [];
  constructor(private readonly limits: Partial<Record<BudgetName, number>> = {}) {}
  async spend(units: number, budget: BudgetName = 'actions', messages = 0): Promise<void> {
    if (units <= 0 && messages <= 0) return;
    const after = (this.spent.get(budget) ?? 0) + units;
    if (after > (this.limits[budget] ?? Infinity)) {
      this.refusals.push({ units, budget });
      throw new RateLimitedError(`over the ${budget} budget`, 1000);
    }
    this.spent.set(budget, after);
    this.messages += messages;
  }
  async giveBack(units: number, budget: BudgetName = 'actions', messages = 0): Promise<void> {
    this.spent.set(budget, (this.spent.get(budget) ?? 0) - units);
    this.messages -= messages;
  }
  spentOn(budget: BudgetName = 'actions'): number {
    return this.spent.get(budget) ?? 0;
  }
}
