import { AttributeType, ProjectionType, StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MessengerTable } from './messenger-table';

/**
 * The index of the user threads table that orders a user's threads by activity
 * (`USER_THREADS_BY_ACTIVITY` of lambdas/adapters/dynamodb-user-threads.ts). It replaced
 * `byActivity` (all attributes projected) under a new name, since a projection cannot change in place.
 */
const USER_THREADS_BY_ACTIVITY = 'byRecentActivity';

/**
 * Context that keeps the replaced index beside the new one, unused, for the first of the two
 * deploys that upgrade a stack made before it: CloudFormation adds or removes one index of a table
 * per update (docs/operations.md, "Deploying").
 */
export const KEEP_REPLACED_ACTIVITY_INDEX_CONTEXT = 'messenger:keepReplacedActivityIndex';

/**
 * The chat's DynamoDB state: threads (each thread's head with its `lastSeq`, its members, and its
 * newest messages staged until history has them), each user's threads with their receipts, and
 * the record of every send by (sender, clientMsgId) that makes sends idempotent, and each user's
 * sends per second for the rate limit. The threads table's stream of staged messages is the
 * outbox that `MessageRelay` relays.
 */
export class ChatStore extends Construct {
  /**
   * Partition key `threadId`; sort key `sk`: `meta`, `member#<userId>` (with `consent` while a
   * request), `msg#<seq>` (staged until history has it, then deleted; marked `deliveredAt` once
   * delivered), or `pair` in a one-to-one thread's partition (who of its two users blocked or
   * accepts the other, whether or not the thread exists). Its stream is the outbox.
   */
  public readonly threads: Table;
  /**
   * Partition key `userId`, sort key `threadId`: the user's threads with `lastSeq`, `lastActivity`
   * (moved by the relay only once a message is a minute newer) and receipts; index
   * `byRecentActivity` (keys only) orders them by `lastActivity`.
   */
  public readonly userThreads: Table;
  /**
   * Partition key `sendKey` (`<sender>#<clientMsgId>`, `#` and `%` escaped in the sender): what each
   * send produced and the digest of what was sent, kept two days (TTL).
   */
  public readonly sendRecords: Table;
  /**
   * Partition key `userId` (the blocker), sort key `blockedId`: each user's blocks, for listing
   * them. Whether two users are blocked is read from their pair item in the threads table
   * (`sk = pair`), which the same transaction writes (lambdas/adapters/dynamodb-user-pairs.ts).
   */
  public readonly blocks: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.threads = new MessengerTable(this, 'Threads', {
      partitionKey: 'threadId',
      sortKey: 'sk',
      stream: StreamViewType.NEW_IMAGE,
      // Staged copies live until history has them and carry no `expiresAt`; copies staged by
      // earlier versions (with a three-day `expiresAt`, never released by persistence) still expire.
      timeToLiveAttribute: 'expiresAt',
    });
    this.userThreads = new MessengerTable(this, 'UserThreads', { partitionKey: 'userId', sortKey: 'threadId' });
    // A user's threads by latest activity, newest first, for listThreads: one Query per page. Keys
    // only, so that only a write of `lastActivity` writes to it: a receipt writes the row alone (one
    // write unit, not two), and listThreads reads the page's receipts from the rows.
    this.userThreads.addGlobalSecondaryIndex({
      indexName: USER_THREADS_BY_ACTIVITY,
      partitionKey: { name: 'userId', type: AttributeType.STRING },
      sortKey: { name: 'lastActivity', type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    if (this.node.tryGetContext(KEEP_REPLACED_ACTIVITY_INDEX_CONTEXT) === 'true') {
      this.userThreads.addGlobalSecondaryIndex({
        indexName: 'byActivity',
        partitionKey: { name: 'userId', type: AttributeType.STRING },
        sortKey: { name: 'lastActivity', type: AttributeType.NUMBER },
      });
    }
    this.sendRecords = new MessengerTable(this, 'SendRecords', { partitionKey: 'sendKey', timeToLiveAttribute: 'expiresAt' });
    this.blocks = new MessengerTable(this, 'Blocks', { partitionKey: 'userId', sortKey: 'blockedId' });

  }

  /*
   * What each action of the chat function does to the tables (lambdas/adapters/dynamodb-thread-store.ts).
   * A transaction needs the action of each of its items (PutItem, UpdateItem, ConditionCheckItem),
   * not an action of its own.
   */

  /**
   * Lets the grantee send messages: read the thread head, membership, pair and earlier send in
   * one batch, commit the message (head, staged copy, send record and, for a new one-to-one
   * thread, both members' rows and the pair) in one transaction, list the members to deliver to, mark the staged copy delivered, read a
   * retried message's staged copy, and accept a request by replying to it.
   */
  public grantSendMessages(grantee: IGrantable): Grant[] {
    return [
      this.grantOn(
        grantee,
        [this.threads.tableArn],
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:Query',
      ),
      this.grantOn(grantee, [this.sendRecords.tableArn], 'dynamodb:BatchGetItem', 'dynamodb:PutItem'),
      this.grantOn(grantee, [this.userThreads.tableArn], 'dynamodb:PutItem'),
    ];
  }

  /**
   * Lets the grantee block and unblock users (a block listed in the blocks table and marked on the
   * pair item, in one transaction), list a user's blocks, read pairs in batches, and accept or
   * decline requests (a membership updated, a pair marked).
   */
  public grantManageConsent(grantee: IGrantable): Grant[] {
    return [
      this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'),
      this.grantOn(grantee, [this.blocks.tableArn], 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'),
    ];
  }

  /** Lets the grantee read pairs (who blocked whom), in batches, and nothing else. */
  public grantReadBlocks(grantee: IGrantable): Grant {
    return this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:BatchGetItem');
  }

  /** Lets the grantee move a member's receipts forward after reading the thread head, the membership and the members. */
  public grantRecordReceipts(grantee: IGrantable): Grant[] {
    return [
      this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:GetItem', 'dynamodb:Query'),
      this.grantOn(grantee, [this.userThreads.tableArn], 'dynamodb:UpdateItem'),
    ];
  }

  /**
   * Lets the grantee create groups and change their members (lambdas/adapters/dynamodb-group-membership.ts):
   * read the group and count its members, create it (one transaction, or batch writes of the
   * members and a put of the head last, and batch deletes when that fails), add members in
   * transactions (memberships and user thread rows put, the head's counts updated), and remove a
   * member in one transaction (membership and user thread row deleted, the head's counts and a
   * successor's role updated).
   */
  public grantManageGroups(grantee: IGrantable): Grant[] {
    return [
      this.grantOn(
        grantee,
        [this.threads.tableArn],
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ),
      this.grantOn(grantee, [this.userThreads.tableArn], 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'),
    ];
  }

  /** Lets the grantee page through a user's threads by activity and read their rows (receipts), heads and members. */
  public grantListThreads(grantee: IGrantable): Grant[] {
    return [
      this.grantOn(grantee, [`${this.userThreads.tableArn}/index/${USER_THREADS_BY_ACTIVITY}`], 'dynamodb:Query'),
      this.grantOn(grantee, [this.userThreads.tableArn], 'dynamodb:BatchGetItem'),
      this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:BatchGetItem', 'dynamodb:Query'),
    ];
  }

  /** Lets the grantee read thread heads, memberships and staged messages, and nothing else. */
  public grantReadThreads(grantee: IGrantable): Grant {
    return this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:GetItem', 'dynamodb:Query');
  }

  /**
   * Lets the grantee relay staged messages: read memberships (with where the member rows stand),
   * re-read staged copies in batches and mark them delivered, read a group's head (whether members
   * who joined later may hear of a message), and move members' thread rows to newer messages.
   */
  public grantRelayMessages(grantee: IGrantable): Grant[] {
    return [
      this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'),
      this.grantOn(grantee, [this.userThreads.tableArn], 'dynamodb:UpdateItem'),
    ];
  }

  /** Lets the grantee delete staged messages that history holds, in batch writes, and nothing else. */
  public grantReleaseStagedMessages(grantee: IGrantable): Grant {
    return this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:BatchWriteItem');
  }

  /** Lets the grantee read memberships (one, or a thread's) and mark typing signals on them, and nothing else. */
  public grantTypingSignals(grantee: IGrantable): Grant {
    return this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem');
  }

  /**
   * Lets the grantee find who shares a thread with a user (lambdas/adapters/dynamodb-shared-threads.ts):
   * Query users' thread rows and groups' memberships, and batch-read two users' memberships of a
   * thread, and nothing else.
   */
  public grantFindSharedThreads(grantee: IGrantable): Grant[] {
    return [
      this.grantOn(grantee, [this.threads.tableArn, this.userThreads.tableArn], 'dynamodb:Query'),
      // The memberships of two users in a thread, to skip a thread that one of them holds by request.
      this.grantOn(grantee, [this.threads.tableArn], 'dynamodb:BatchGetItem'),
    ];
  }

  /** Actions on exactly these ARNs; unlike `Table.grant`, not on every index of the table too. */
  private grantOn(grantee: IGrantable, resourceArns: string[], ...actions: string[]): Grant {
    return Grant.addToPrincipal({ grantee, actions, resourceArns });
  }

  public get environment(): Record<string, string> {
    return {
      THREADS_TABLE: this.threads.tableName,
      USER_THREADS_TABLE: this.userThreads.tableName,
      SEND_RECORDS_TABLE: this.sendRecords.tableName,
      BLOCKS_TABLE: this.blocks.tableName,
    };
  }
}
