import type {
  CommitOutcome,
  CommitRequest,
  ConnectionDirectory,
  ConnectionNotifier,
  HistoryReader,
  LiveConnection,
  MessageQueue,
  SendContext,
  SendRecord,
  ThreadStore,
} from '../../lambdas/domain/chat/ports';
import type { ThreadHead } from '../../lambdas/domain/chat/threads';
import type { StoredMessage } from '../../lambdas/domain/messages';

/** The thread store's contract, in memory, for domain tests. */
export class InMemoryThreadStore implements ThreadStore {
  readonly heads = new Map<string, ThreadHead>();
  readonly members = new Map<string, Set<string>>();
  readonly staged = new Map<string, StoredMessage[]>();
  readonly records = new Map<string, SendRecord>();
  /** Outcomes to return instead of committing, one per call, for contention and races. */
  readonly forcedOutcomes: CommitOutcome[] = [];

  addThread(threadId: string, kind: ThreadHead['kind'], members: string[], lastSeq = 0): void {
    this.heads.set(threadId, { threadId, kind, lastSeq });
    this.members.set(threadId, new Set(members));
  }

  async loadSendContext(threadId: string, senderId: string, clientMsgId: string): Promise<SendContext> {
    return {
      thread: this.heads.get(threadId),
      senderIsMember: this.members.get(threadId)?.has(senderId) ?? false,
      previous: this.records.get(`${senderId}#${clientMsgId}`),
    };
  }

  async commitMessage({ message, createDirectThread }: CommitRequest): Promise<CommitOutcome> {
    const forced = this.forcedOutcomes.shift();
    if (forced) return forced;
    const key = `${message.senderId}#${message.clientMsgId}`;
    if (this.records.has(key)) return 'duplicate';
    const head = this.heads.get(message.threadId);
    if (createDirectThread ? head !== undefined : head?.lastSeq !== message.seq - 1) return 'seq_taken';
    if (!createDirectThread && !this.members.get(message.threadId)?.has(message.senderId)) return 'not_member';
    if (createDirectThread) this.addThread(message.threadId, 'dm', [...createDirectThread]);
    this.heads.set(message.threadId, { ...this.heads.get(message.threadId)!, lastSeq: message.seq });
    this.staged.set(message.threadId, [...(this.staged.get(message.threadId) ?? []), message]);
    this.records.set(key, { threadId: message.threadId, seq: message.seq, messageId: message.messageId, sentAt: message.sentAt });
    return 'committed';
  }

  async membersOf(threadId: string): Promise<string[]> {
    return [...(this.members.get(threadId) ?? [])];
  }

  async isMember(threadId: string, userId: string): Promise<boolean> {
    return this.members.get(threadId)?.has(userId) ?? false;
  }

  async head(threadId: string): Promise<ThreadHead | undefined> {
    return this.heads.get(threadId);
  }

  async stagedMessages(threadId: string, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
    return (this.staged.get(threadId) ?? []).filter((message) => message.seq >= fromSeq && message.seq <= toSeq);
  }
}

export class RecordingQueue implements MessageQueue {
  readonly messages: StoredMessage[] = [];
  async enqueue(message: StoredMessage): Promise<void> {
    this.messages.push(message);
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
  async liveConnectionsOf(userId: string): Promise<LiveConnection[]> {
    return this.connections.filter((connection) => connection.userId === userId && !this.forgotten.includes(connection));
  }
  async forget(connection: LiveConnection): Promise<void> {
    this.forgotten.push(connection);
  }
}

export class RecordingNotifier implements ConnectionNotifier {
  readonly posts: Array<{ connectionId: string; frame: object }> = [];
  constructor(private readonly outcome: (connectionId: string) => 'delivered' | 'gone' | 'error' = () => 'delivered') {}
  async post(connectionId: string, frame: object): Promise<'delivered' | 'gone'> {
    const outcome = this.outcome(connectionId);
    if (outcome === 'error') throw new Error('throttled');
    if (outcome === 'delivered') this.posts.push({ connectionId, frame });
    return outcome;
  }
}
