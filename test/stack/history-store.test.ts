import { Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { HistoryStore, keyspaceNameOf } from '../../lib/constructs/history-store';
import { actions, grantee, keyspacesArn, logicalIdOf, permissionsOf, testApp, testStack } from './template';

describe('HistoryStore', () => {
  it('is a keyspace with a messages table partitioned by thread and bucket, clustered by seq, on demand, recoverable, encrypted', () => {
    const stack = testStack();
    new HistoryStore(stack, 'History');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Cassandra::Keyspace', {
      KeyspaceName: 'test',
      ReplicationSpecification: { ReplicationStrategy: 'SINGLE_REGION' },
    });
    template.hasResourceProperties('AWS::Cassandra::Table', {
      KeyspaceName: 'test',
      TableName: 'messages',
      PartitionKeyColumns: [
        { ColumnName: 'thread_id', ColumnType: 'text' },
        { ColumnName: 'bucket', ColumnType: 'int' },
      ],
      ClusteringKeyColumns: [{ Column: { ColumnName: 'seq', ColumnType: 'bigint' }, OrderBy: 'ASC' }],
      RegularColumns: [
        { ColumnName: 'message_id', ColumnType: 'text' },
        { ColumnName: 'sender_id', ColumnType: 'text' },
        { ColumnName: 'client_msg_id', ColumnType: 'text' },
        { ColumnName: 'body', ColumnType: 'text' },
        { ColumnName: 'sent_at', ColumnType: 'timestamp' },
      ],
      BillingMode: { Mode: 'ON_DEMAND' },
      PointInTimeRecoveryEnabled: true,
      EncryptionSpecification: { EncryptionType: 'AWS_OWNED_KMS_KEY' },
    });
  });

  it('creates the table after its keyspace and keeps both when the stack goes', () => {
    const stack = testStack();
    const history = new HistoryStore(stack, 'History');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::Cassandra::Table', { DependsOn: [logicalIdOf(stack, history.keyspace)], DeletionPolicy: 'Retain' });
    template.hasResource('AWS::Cassandra::Keyspace', { DeletionPolicy: 'Retain' });
  });

  it('tells functions where the history is', () => {
    const history = new HistoryStore(testStack(), 'History');
    expect(history.environment).toEqual({ HISTORY_KEYSPACE: 'test', MESSAGES_TABLE: 'messages' });
  });

  it("names the keyspace after the stack, so that two stacks in one account keep apart, or as told", () => {
    const app = testApp();
    const names = ['Messenger', 'Messenger-Staging'].map((stackName) => new HistoryStore(new Stack(app, stackName), 'History').keyspaceName);
    expect(names).toEqual(['messenger', 'messenger_staging']);
    expect(new HistoryStore(testStack(), 'History', { keyspaceName: 'chat_history' }).keyspaceName).toBe('chat_history');
    expect(keyspaceNameOf('M'.repeat(48))).toBe('m'.repeat(48));
    expect(() => keyspaceNameOf('M'.repeat(49))).toThrow(/pass keyspaceName/);
  });

  it('lets a writer modify the messages table only, and read the system tables a driver reads to connect', () => {
    const stack = testStack();
    const writer = grantee(stack);
    new HistoryStore(stack, 'History').grantWriteMessages(writer);
    expect(permissionsOf(stack, writer)).toEqual({
      [keyspacesArn('test/table/messages')]: actions('cassandra:Modify'),
      [keyspacesArn('system*')]: actions('cassandra:Select'),
    });
  });

  it('lets a reader select from the messages table and the system tables, and modify nothing', () => {
    const stack = testStack();
    const reader = grantee(stack);
    new HistoryStore(stack, 'History').grantReadMessages(reader);
    expect(permissionsOf(stack, reader)).toEqual({
      [keyspacesArn('test/table/messages')]: actions('cassandra:Select'),
      [keyspacesArn('system*')]: actions('cassandra:Select'),
    });
  });
});
