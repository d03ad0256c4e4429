import { RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MessengerTable } from './messenger-table';

/**
 * Live WebSocket connections, one item per connection, keyed by user so that all of a user's
 * connections are one Query. The other direction (connection -> user and device) needs no
 * lookup: the authorizer's context, which API Gateway attaches to every event of the
 * connection, carries it. Items expire by TTL when a connection goes stale without `$disconnect`.
 */
export class ConnectionRegistry extends Construct {
  /** Partition key: the user id (the token's `sub`). Sort key: the connection id. */
  public readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new MessengerTable(this, 'Table', {
      partitionKey: 'userId',
      sortKey: 'connectionId',
      timeToLiveAttribute: 'expiresAt',
      // Connections are ephemeral: losing them on stack deletion loses nothing a client can't redo.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** Lets the grantee record connections opening, refreshing and closing. */
  public grantRegister(grantee: IGrantable): Grant {
    return this.table.grant(grantee, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
  }

  /** Lets the grantee find a user's live connections and drop ones found gone. */
  public grantLookup(grantee: IGrantable): Grant {
    return this.table.grant(grantee, 'dynamodb:Query', 'dynamodb:DeleteItem');
  }
}
