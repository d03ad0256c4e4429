import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MessengerFunction } from './messenger-function';
import { MessengerTable } from './messenger-table';

/** The index of connections by expiry that the sweep reads (`lambdas/adapters/dynamodb-connection-registry.ts`). */
const EXPIRY_INDEX = 'byExpiry';
/** The index of connections by their token's expiry, through which the sweep closes them. */
const TOKEN_EXPIRY_INDEX = 'byTokenExpiry';

/**
 * Live WebSocket connections, one item per connection, keyed by user so that all of a user's
 * connections are one Query; beside them each user's connection list (sort key `#list`), which
 * names them all so that a delivery reads many users' connections in one BatchGetItem. The other direction (connection -> user and device) needs no
 * lookup: the authorizer's context, which API Gateway attaches to every event of the
 * connection, carries it.
 *
 * A connection that goes quiet without `$disconnect` (which API Gateway sends on a best-effort
 * basis) is removed by a sweep every minute, through an index of connections by expiry, since
 * DynamoDB's TTL may take days; TTL stays as the backstop. The table's stream carries every
 * connection opening and closing, whatever closed it, to whoever derives presence from them.
 */
export class ConnectionRegistry extends Construct {
  /**
   * Partition key: the user id (the token's `sub`). Sort key: the connection id. Index `byExpiry`:
   * `expiryShard` (0-15) and `expiresAt`; index `byTokenExpiry`: `expiryShard` and `tokenExpiresAt`.
   * Stream: new and old images.
   */
  public readonly table: Table;
  /** Removes stale connections; run every minute by `sweepSchedule`. */
  public readonly staleConnectionSweeper: MessengerFunction;
  public readonly sweepSchedule: Rule;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new MessengerTable(this, 'Table', {
      partitionKey: 'userId',
      sortKey: 'connectionId',
      timeToLiveAttribute: 'expiresAt',
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      // Connections are ephemeral: losing them on stack deletion loses nothing a client can't redo.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: EXPIRY_INDEX,
      partitionKey: { name: 'expiryShard', type: AttributeType.NUMBER },
      sortKey: { name: 'expiresAt', type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    // Apart from expiresAt, the TTL attribute: TTL must never delete a connection still to be closed.
    // Sparse: only a connection whose token expires before API Gateway closes it anyway (2 hours)
    // carries tokenExpiresAt, so most connects and disconnects write no entry here.
    this.table.addGlobalSecondaryIndex({
      indexName: TOKEN_EXPIRY_INDEX,
      partitionKey: { name: 'expiryShard', type: AttributeType.NUMBER },
      sortKey: { name: 'tokenExpiresAt', type: AttributeType.NUMBER },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    this.staleConnectionSweeper = new MessengerFunction(this, 'StaleConnectionSweeper', {
      handler: 'sweep-stale-connections',
      timeout: Duration.seconds(50),
      environment: { CONNECTIONS_TABLE: this.table.tableName },
    });
    // The sweep reads the expiry index and deletes from the table (lambdas/adapters/dynamodb-connection-registry.ts).
    Grant.addToPrincipal({
      grantee: this.staleConnectionSweeper,
      actions: ['dynamodb:Query'],
      resourceArns: [this.expiryIndexArn, `${this.table.tableArn}/index/${TOKEN_EXPIRY_INDEX}`],
    });
    // Deletes stale records, and takes a connection the gateway no longer holds off its user's list (an update).
    this.grantOnTable(this.staleConnectionSweeper, 'dynamodb:DeleteItem', 'dynamodb:UpdateItem');
    this.sweepSchedule = new Rule(this, 'SweepSchedule', {
      description: 'Removes WebSocket connections that went stale without $disconnect, so their users show offline.',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed sweep is made good by the next one a minute later.
      targets: [new LambdaFunction(this.staleConnectionSweeper, { retryAttempts: 0 })],
    });
  }

  /** Lets the grantee count a user's connections and record one opening (`$connect`): its record and its place on the user's list. */
  public grantOpen(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }

  /** Lets the grantee forget connections that closed (`$disconnect`): their records and their places on the lists. */
  public grantClose(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, 'dynamodb:DeleteItem', 'dynamodb:UpdateItem');
  }

  /**
   * Lets the grantee keep a connection counted as live: refresh its record, or register it again
   * (its user's list, then its record) when the sweep removed it while the gateway still holds it open.
   */
  public grantKeepAlive(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, 'dynamodb:UpdateItem', 'dynamodb:PutItem');
  }

  /**
   * Lets the grantee read users' connection lists (in batches), make the list of a user who has
   * none from their records (a Query, then an update), and drop connections found gone (their
   * records and places on the lists).
   */
  public grantLookup(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem');
  }

  /** Lets the grantee count a user's live connections, and nothing else. */
  public grantReadConnections(grantee: IGrantable): Grant {
    return this.grantOnTable(grantee, 'dynamodb:Query');
  }

  private get expiryIndexArn(): string {
    return `${this.table.tableArn}/index/${EXPIRY_INDEX}`;
  }

  /** Actions on the table itself; unlike `Table.grant`, not on its index, which only the sweep reads. */
  private grantOnTable(grantee: IGrantable, ...actions: string[]): Grant {
    return Grant.addToPrincipal({ grantee, actions, resourceArns: [this.table.tableArn] });
  }
}
