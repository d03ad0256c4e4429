import { AttributeType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MessengerTable } from './messenger-table';

/**
 * The chat's DynamoDB state: threads (each thread's head with its `lastSeq`, its members, and its
 * newest messages staged until history has them), each user's threads with their receipts, and
 * the record of every send by (sender, clientMsgId) that makes sends idempotent.
 */
export class ChatStore extends Construct {
  /** Partition key `threadId`; sort key `sk`: `meta`, `member#<userId>` or `msg#<seq>` (staged, TTL). */
  public readonly threads: Table;
  /**
   * Partition key `userId`, sort key `threadId`: the user's threads with `lastSeq`, `lastActivity`
   * and receipts; index `byActivity` orders them by `lastActivity`.
   */
  public readonly userThreads: Table;
  /** Partition key `sendKey` (`<sender>#<clientMsgId>`): what each send produced, kept two days (TTL). */
  public readonly sendRecords: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.threads = new MessengerTable(this, 'Threads', { partitionKey: 'threadId', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' });
    this.userThreads = new MessengerTable(this, 'UserThreads', { partitionKey: 'userId', sortKey: 'threadId' });
    // A user's threads by latest activity, newest first, for listThreads: one Query per page.
    this.userThreads.addGlobalSecondaryIndex({
      indexName: 'byActivity',
      partitionKey: { name: 'userId', type: AttributeType.STRING },
      sortKey: { name: 'lastActivity', type: AttributeType.NUMBER },
    });
    this.sendRecords = new MessengerTable(this, 'SendRecords', { partitionKey: 'sendKey', timeToLiveAttribute: 'expiresAt' });
  }

  /** Lets the grantee read and write threads, memberships, receipts and send records. */
  public grantReadWrite(grantee: IGrantable): Grant[] {
    const actions = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ];
    return [this.threads, this.userThreads, this.sendRecords].map((table) => table.grant(grantee, ...actions));
  }

  /** Lets the grantee read thread heads, memberships and staged messages, and nothing else. */
  public grantReadThreads(grantee: IGrantable): Grant {
    return this.threads.grant(grantee, 'dynamodb:GetItem', 'dynamodb:Query');
  }

  /** Lets the grantee read memberships and move members' thread rows to newer messages. */
  public grantAdvanceActivity(grantee: IGrantable): Grant[] {
    return [this.threads.grant(grantee, 'dynamodb:Query'), this.userThreads.grant(grantee, 'dynamodb:UpdateItem')];
  }

  /** Lets the grantee read memberships and mark typing signals on them, and nothing else. */
  public grantTypingSignals(grantee: IGrantable): Grant {
    return this.threads.grant(grantee, 'dynamodb:Query', 'dynamodb:UpdateItem');
  }

  public get environment(): Record<string, string> {
    return {
      THREADS_TABLE: this.threads.tableName,
      USER_THREADS_TABLE: this.userThreads.tableName,
      SEND_RECORDS_TABLE: this.sendRecords.tableName,
    };
  }
}
