import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnKeyspace, CfnTable } from 'aws-cdk-lib/aws-cassandra';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag-acknowledgements';

export interface HistoryStoreProps {
  /** @default the stack's name, lower case, `-` made `_` (`messenger` for the stack `Messenger`) */
  readonly keyspaceName?: string;
}

/**
 * A keyspace name of the stack's own, so that two stacks in one account and region keep their
 * history apart. Keyspaces names are 1-48 letters, digits and underscores, starting with a letter;
 * stack names are letters, digits and hyphens starting with a letter. Lower case, because the
 * functions quote the name in CQL, where quoted names are case-sensitive.
 */
export function keyspaceNameOf(stackName: string): string {
  const name = stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z]/.test(name) || name.length > 48) throw new Error(`cannot derive a Keyspaces name from stack name "${stackName}": pass keyspaceName`);
  return name;
}

/**
 * Message history in Amazon Keyspaces: one row per message, partitioned by (thread, bucket of
 * 1000 seqs) so that no thread grows one unbounded partition, and clustered by seq so that pages
 * in either direction are range reads of one partition. On demand, point-in-time recovery,
 * encrypted at rest.
 */
export class HistoryStore extends Construct {
  public readonly keyspace: CfnKeyspace;
  public readonly messagesTable: CfnTable;
  public readonly keyspaceName: string;
  public readonly messagesTableName = 'messages';

  constructor(scope: Construct, id: string, props: HistoryStoreProps = {}) {
    super(scope, id);
    this.keyspaceName = props.keyspaceName ?? keyspaceNameOf(Stack.of(this).stackName);

    this.keyspace = new CfnKeyspace(this, 'Keyspace', {
      keyspaceName: this.keyspaceName,
      replicationSpecification: { replicationStrategy: 'SINGLE_REGION' },
    });
    this.keyspace.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.messagesTable = new CfnTable(this, 'Messages', {
      keyspaceName: this.keyspaceName,
      tableName: this.messagesTableName,
      partitionKeyColumns: [
        { columnName: 'thread_id', columnType: 'text' },
        { columnName: 'bucket', columnType: 'int' },
      ],
      clusteringKeyColumns: [{ column: { columnName: 'seq', columnType: 'bigint' }, orderBy: 'ASC' }],
      regularColumns: [
        { columnName: 'message_id', columnType: 'text' },
        { columnName: 'sender_id', columnType: 'text' },
        { columnName: 'client_msg_id', columnType: 'text' },
        { columnName: 'body', columnType: 'text' },
        { columnName: 'sent_at', columnType: 'timestamp' },
      ],
      billingMode: { mode: 'ON_DEMAND' },
      pointInTimeRecoveryEnabled: true,
      encryptionSpecification: { encryptionType: 'AWS_OWNED_KMS_KEY' },
    });
    this.messagesTable.node.addDependency(this.keyspace);
    this.messagesTable.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }

  private tableArn(table: string): string {
    return Stack.of(this).formatArn({
      service: 'cassandra',
      resource: '/keyspace',
      resourceName: `${this.keyspaceName}/table/${table}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /** The system tables every Cassandra driver reads when it connects. */
  private systemTablesArn(): string {
    return Stack.of(this).formatArn({
      service: 'cassandra',
      resource: '/keyspace',
      resourceName: 'system*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /** Lets the grantee read the system keyspaces, which every Cassandra driver reads when it connects. */
  private grantConnect(grantee: IGrantable): void {
    acknowledgeWildcardResource(
      grantee,
      this.systemTablesArn(),
      'Cassandra drivers read the system keyspaces (system, system_schema, system_schema_mcs, ...) when they connect; read-only (cassandra:Select).',
    );
    Grant.addToPrincipal({ grantee, actions: ['cassandra:Select'], resourceArns: [this.systemTablesArn()] });
  }

  /** Lets the grantee write messages (and connect: read the system tables drivers read). */
  public grantWriteMessages(grantee: IGrantable): Grant {
    this.grantConnect(grantee);
    return Grant.addToPrincipal({ grantee, actions: ['cassandra:Modify'], resourceArns: [this.tableArn(this.messagesTableName)] });
  }

  /** Lets the grantee read messages (and connect). */
  public grantReadMessages(grantee: IGrantable): Grant {
    this.grantConnect(grantee);
    return Grant.addToPrincipal({ grantee, actions: ['cassandra:Select'], resourceArns: [this.tableArn(this.messagesTableName)] });
  }

  /** Environment a function needs to reach the history. */
  public get environment(): Record<string, string> {
    return { HISTORY_KEYSPACE: this.keyspaceName, MESSAGES_TABLE: this.messagesTableName };
  }
}
