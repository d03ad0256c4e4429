import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { ChatStore } from './chat-store';
import type { ConnectionRegistry } from './connection-registry';
import { DeadLetterQueue } from './dead-letter-queue';
import { MessengerFunction } from './messenger-function';
import { MessengerTable } from './messenger-table';
import type { UserSettings } from './user-settings';
import type { WebSocketGateway } from './websocket-gateway';

/** The subscriptions table's index by subscriber connection (`SUBSCRIPTIONS_BY_CONNECTION` of lambdas/adapters/dynamodb-presence.ts). */
const SUBSCRIPTIONS_BY_SUBSCRIBER = 'bySubscriber';

export interface PresenceProps {
  /** The connections whose opening and closing make users online and offline. */
  readonly connections: ConnectionRegistry;
  /** Where subscribers' connections are reached. */
  readonly gateway: WebSocketGateway;
  /** Whose threads and blocks say who may see whom. */
  readonly chat: ChatStore;
  /** Whose active status switch and presence audience hide them. */
  readonly settings: UserSettings;
}

/**
 * Online/offline status, pushed to subscribers: a function on the connection registry's stream
 * works out each user's status when one of their connections opens or closes (however it closes),
 * records it, and posts each change to the connections subscribed to that user who may see it
 * (lambdas/domain/presence-visibility.ts: no block between them, both with active status on, and a
 * shared accepted thread when either limits their audience to threads).
 */
export class Presence extends Construct {
  /**
   * Partition key `userId`: the user's `status`, `lastSeen` and `changedAt`, the `version` each
   * change bumps, and `publishPending` until that change has reached every subscriber.
   */
  public readonly statusTable: Table;
  /**
   * Partition key `watchedUserId`, sort key `connectionId` (the subscriber), expiring (TTL
   * `expiresAt`) with the longest a connection can live; index `bySubscriber` on `connectionId`.
   * Also each connection's watch list (partition `#watching#<user>`), on which the caps are checked.
   */
  public readonly subscriptionsTable: Table;
  /** Reads the registry's stream and pushes changes. */
  public readonly changesFunction: MessengerFunction;
  /** Stream batches the changes function failed on after its retries (their shard and range, not the records). */
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: PresenceProps) {
    super(scope, id);
    this.statusTable = new MessengerTable(this, 'Statuses', { partitionKey: 'userId' });
    this.subscriptionsTable = new MessengerTable(this, 'Subscriptions', {
      partitionKey: 'watchedUserId',
      sortKey: 'connectionId',
      timeToLiveAttribute: 'expiresAt',
      // Subscriptions end with their connections; there is nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.subscriptionsTable.addGlobalSecondaryIndex({
      indexName: SUBSCRIPTIONS_BY_SUBSCRIBER,
      partitionKey: { name: 'connectionId', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      alarmDescription:
        'Presence changes failed after retries; subscribers may show stale statuses until the users reconnect. See the function logs for the cause.',
    });
    this.changesFunction = new MessengerFunction(this, 'ChangesFunction', {
      handler: 'presence-changes',
      timeout: Duration.seconds(30),
      environment: {
        ...this.environment,
        ...props.gateway.connectionsEnvironment,
        ...props.chat.environment,
        ...props.settings.environment,
        CONNECTIONS_TABLE: props.connections.table.tableName,
      },
    });
    this.changesFunction.addEventSource(
      new DynamoEventSource(props.connections.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.deadLetterQueue.queue),
        // Refreshes of a connection's expiry change nobody's status.
        filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'REMOVE') })],
      }),
    );
    // What lambdas/handlers/presence-changes.ts does: count the user's live connections, flip the
    // status, find the subscribers (and a closed connection's subscriptions, by the index), end
    // subscriptions in batches, post to the subscribers and confirm the publication (an update);
    // read who may see the user (blocks, settings, and thread rows and memberships when needed)
    // and end the subscriptions of subscribers who may no longer see the user (a delete, and an
    // update of their watch list).
    props.connections.grantReadConnections(this.changesFunction);
    props.chat.grantFindSharedThreads(this.changesFunction);
    props.chat.grantReadBlocks(this.changesFunction);
    props.settings.grantRead(this.changesFunction);
    Grant.addToPrincipal({
      grantee: this.changesFunction,
      actions: ['dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.subscriptionsTable.tableArn],
    });
    Grant.addToPrincipal({ grantee: this.changesFunction, actions: ['dynamodb:UpdateItem'], resourceArns: [this.statusTable.tableArn] });
    Grant.addToPrincipal({
      grantee: this.changesFunction,
      actions: ['dynamodb:Query'],
      resourceArns: [this.subscriptionsTable.tableArn, `${this.subscriptionsTable.tableArn}/index/${SUBSCRIPTIONS_BY_SUBSCRIBER}`],
    });
    Grant.addToPrincipal({ grantee: this.changesFunction, actions: ['dynamodb:BatchWriteItem'], resourceArns: [this.subscriptionsTable.tableArn] });
    props.gateway.grantPostToConnections(this.changesFunction);
  }

  /**
   * Lets the grantee subscribe connections to users and read the users' current status: read the
   * subscriber's watch lists (a Query), write the connection's list and the user's head in a
   * transaction (PutItem), write the subscriptions in batches; and, when a user's
   * active status flips, find their subscribers and end the subscriptions of gone connections (by
   * the index). Reading who may see whom is granted by the chat store and the settings.
   */
  public grantSubscribe(grantee: IGrantable): Grant[] {
    return [
      Grant.addToPrincipal({
        grantee,
        actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
        resourceArns: [this.subscriptionsTable.tableArn],
      }),
      Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [`${this.subscriptionsTable.tableArn}/index/${SUBSCRIPTIONS_BY_SUBSCRIBER}`] }),
      Grant.addToPrincipal({ grantee, actions: ['dynamodb:BatchGetItem'], resourceArns: [this.statusTable.tableArn] }),
    ];
  }

  /** The tables' names, as the functions read them. */
  public get environment(): Record<string, string> {
    return {
      PRESENCE_TABLE: this.statusTable.tableName,
      PRESENCE_SUBSCRIPTIONS_TABLE: this.subscriptionsTable.tableName,
    };
  }
}
