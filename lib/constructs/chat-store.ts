import { Duration } from 'aws-cdk-lib';
import { AttributeType, StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { MessengerFunction } from './messenger-function';
import { MessengerTable } from './messenger-table';

/**
 * The chat's DynamoDB state: threads (each thread's head with its `lastSeq`, its members, and its
 * newest messages staged until history has them), each user's threads with their receipts, and
 * the record of every send by (sender, clientMsgId) that makes sends idempotent. A function on the
 * threads table's stream moves each member's thread row to every newly staged message, off the
 * send path and apart from history's writes.
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
  /** Moves members' thread rows to newly staged messages, from the threads table's stream. */
  public readonly activityFunction: MessengerFunction;
  /** Stream batches the activity function failed on after its retries (their shard and range). */
  public readonly activityDeadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.threads = new MessengerTable(this, 'Threads', {
      partitionKey: 'threadId',
      sortKey: 'sk',
      timeToLiveAttribute: 'expiresAt',
      stream: StreamViewType.NEW_IMAGE,
    });
    this.userThreads = new MessengerTable(this, 'UserThreads', { partitionKey: 'userId', sortKey: 'threadId' });
    // A user's threads by latest activity, newest first, for listThreads: one Query per page.
    this.userThreads.addGlobalSecondaryIndex({
      indexName: 'byActivity',
      partitionKey: { name: 'userId', type: AttributeType.STRING },
      sortKey: { name: 'lastActivity', type: AttributeType.NUMBER },
    });
    this.sendRecords = new MessengerTable(this, 'SendRecords', { partitionKey: 'sendKey', timeToLiveAttribute: 'expiresAt' });

    this.activityDeadLetterQueue = new DeadLetterQueue(this, 'ActivityDeadLetters', {
      alarmDescription: "Thread activity failed after retries: some members' thread lists may not show their newest messages. See the function logs.",
    });
    this.activityFunction = new MessengerFunction(this, 'Activity', {
      handler: 'thread-activity',
      timeout: Duration.seconds(30),
      environment: this.environment,
    });
    this.activityFunction.addEventSource(
      new DynamoEventSource(this.threads, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        // A thread's rows move once for all its messages of the second.
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.activityDeadLetterQueue.queue),
        // Only newly staged messages; heads, memberships and expiring copies move nothing.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { Keys: { sk: { S: FilterRule.beginsWith('msg#') } } } })],
      }),
    );
    this.grantAdvanceActivity(this.activityFunction);
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
