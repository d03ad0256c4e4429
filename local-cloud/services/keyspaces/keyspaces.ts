import { Client } from 'cassandra-driver';

interface Column {
  ColumnName: string;
  ColumnType: string;
}

/** The properties of an `AWS::Cassandra::Table` that shape the table, after intrinsics are resolved. */
export interface CassandraTableProperties {
  KeyspaceName: string;
  TableName: string;
  PartitionKeyColumns: Column[];
  ClusteringKeyColumns?: Array<{ Column: Column; OrderBy?: 'ASC' | 'DESC' }>;
  RegularColumns?: Column[];
  DefaultTimeToLive?: number;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const CQL_TYPE = /^[a-z]+(<[a-z, <>]+>)?$/;

/** The CQL statement that creates the table as the template declares it. */
export function createTableCql(table: CassandraTableProperties): string {
  const columns = [
    ...table.PartitionKeyColumns,
    ...(table.ClusteringKeyColumns ?? []).map((clustering) => clustering.Column),
    ...(table.RegularColumns ?? []),
  ];
  for (const column of columns) {
    if (!CQL_TYPE.test(column.ColumnType)) throw new Error(`column ${column.ColumnName} has an unexpected type ${column.ColumnType}`);
  }
  const partitionKey = `(${table.PartitionKeyColumns.map((column) => quote(column.ColumnName)).join(', ')})`;
  const clustering = table.ClusteringKeyColumns ?? [];
  const primaryKey = [partitionKey, ...clustering.map((entry) => quote(entry.Column.ColumnName))].join(', ');
  const options = [
    ...(clustering.length > 0
      ? [`CLUSTERING ORDER BY (${clustering.map((entry) => `${quote(entry.Column.ColumnName)} ${entry.OrderBy ?? 'ASC'}`).join(', ')})`]
      : []),
    ...(table.DefaultTimeToLive ? [`default_time_to_live = ${Number(table.DefaultTimeToLive)}`] : []),
  ];
  return (
    `CREATE TABLE IF NOT EXISTS ${quote(table.KeyspaceName)}.${quote(table.TableName)} (` +
    `${columns.map((column) => `${quote(column.ColumnName)} ${column.ColumnType}`).join(', ')}, PRIMARY KEY (${primaryKey}))` +
    (options.length > 0 ? ` WITH ${options.join(' AND ')}` : '')
  );
}

/**
 * Creates the template's keyspaces and tables in Cassandra. Keyspaces replicates across three
 * zones on its own; a single local node stands in with replication factor 1.
 */
export async function ensureKeyspaces(endpoint: string, keyspaces: string[], tables: CassandraTableProperties[]): Promise<void> {
  const client = new Client({ contactPoints: [endpoint], localDataCenter: 'datacenter1' });
  try {
    await client.connect();
    for (const keyspace of keyspaces) {
      await client.execute(
        `CREATE KEYSPACE IF NOT EXISTS ${quote(keyspace)} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      );
    }
    for (const table of tables) await client.execute(createTableCql(table));
  } finally {
    await client.shutdown();
  }
}
