import { Template } from 'aws-cdk-lib/assertions';
import { ChatStore } from '../../lib/constructs/chat-store';
import { actions, grantee, logicalIdOf, permissionsOf, resource, testStack } from './template';

function synthChat() {
  const stack = testStack();
  const chat = new ChatStore(stack, 'Chat');
  return { stack, chat, get template() { return Template.fromStack(stack); } };
}

const encryptedOnDemandRecoverable = {
  BillingMode: 'PAY_PER_REQUEST',
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  SSESpecification: { SSEEnabled: true },
};

describe('ChatStore', () => {
  it('keeps threads (heads, members, staged messages until history has them: no TTL) streaming new images, kept when the stack goes', () => {
    const { stack, chat, template } = synthChat();
    expect(template.toJSON().Resources[logicalIdOf(stack, chat.threads)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ...encryptedOnDemandRecoverable,
        KeySchema: [
          { AttributeName: 'threadId', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
    });
    // For copies staged before the outbox only: today's carry no expiresAt (chat-send.test.ts).
    expect(template.toJSON().Resources[logicalIdOf(stack, chat.threads)].Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it("orders each user's threads by activity in an index of the user threads table", () => {
    const { stack, chat, template } = synthChat();
    expect(template.toJSON().Resources[logicalIdOf(stack, chat.userThreads)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ...encryptedOnDemandRecoverable,
        KeySchema: [
          { AttributeName: 'userId', KeyType: 'HASH' },
          { AttributeName: 'threadId', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            // Keys only: a receipt, which writes no key, writes nothing to it.
            IndexName: 'byRecentActivity',
            KeySchema: [
              { AttributeName: 'userId', KeyType: 'HASH' },
              { AttributeName: 'lastActivity', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      },
    });
  });

  it('keeps the replaced index beside the new one, unused, when told to, so that an older stack upgrades one index per deploy', () => {
    const stack = testStack();
    stack.node.setContext('messenger:keepReplacedActivityIndex', 'true');
    const chat = new ChatStore(stack, 'Chat');
    const indexes = Template.fromStack(stack).toJSON().Resources[logicalIdOf(stack, chat.userThreads)].Properties.GlobalSecondaryIndexes;
    expect(indexes.map((index: { IndexName: string; Projection: unknown }) => [index.IndexName, index.Projection])).toEqual([
      ['byRecentActivity', { ProjectionType: 'KEYS_ONLY' }],
      ['byActivity', { ProjectionType: 'ALL' }],
    ]);
  });

  it('keeps send records by send key, expiring', () => {
    const { stack, chat, template } = synthChat();
    expect(template.toJSON().Resources[logicalIdOf(stack, chat.sendRecords)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ...encryptedOnDemandRecoverable,
        KeySchema: [{ AttributeName: 'sendKey', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
  });

  it('tells functions the four tables', () => {
    const { stack, chat } = synthChat();
    const names = {
      THREADS_TABLE: chat.threads.tableName,
      USER_THREADS_TABLE: chat.userThreads.tableName,
      SEND_RECORDS_TABLE: chat.sendRecords.tableName,
      BLOCKS_TABLE: chat.blocks.tableName,
    };
    expect(stack.resolve(chat.environment)).toEqual(stack.resolve(names));
  });

  it('grantReadThreads allows reading the threads table only', () => {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    chat.grantReadThreads(role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, chat.threads.tableArn)]: actions('dynamodb:GetItem', 'dynamodb:Query') });
  });

  it("keeps each user's blocks by blocker and blocked user, without expiry, kept when the stack goes", () => {
    const { stack, chat, template } = synthChat();
    const blocks = template.toJSON().Resources[logicalIdOf(stack, chat.blocks)];
    expect(blocks).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ...encryptedOnDemandRecoverable,
        KeySchema: [
          { AttributeName: 'userId', KeyType: 'HASH' },
          { AttributeName: 'blockedId', KeyType: 'RANGE' },
        ],
      },
    });
    expect(blocks.Properties.TimeToLiveSpecification).toBeUndefined();
  });

  it('grantReadBlocks allows batch reads of pairs on the threads table only', () => {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    chat.grantReadBlocks(role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, chat.threads.tableArn)]: actions('dynamodb:BatchGetItem') });
  });

  it('grantManageConsent allows blocking (put, delete, query of blocks; pair updates), batch reads of pairs and request updates', () => {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    chat.grantManageConsent(role);
    expect(permissionsOf(stack, role)).toEqual({
      [resource(stack, chat.threads.tableArn)]: actions('dynamodb:BatchGetItem', 'dynamodb:UpdateItem'),
      [resource(stack, chat.blocks.tableArn)]: actions('dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'),
    });
  });

  it('grantTypingSignals allows reading memberships and marking them, on the threads table only', () => {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    chat.grantTypingSignals(role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, chat.threads.tableArn)]: actions('dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem') });
  });

  function grantsOf(grant: (chat: ChatStore, role: ReturnType<typeof grantee>) => unknown) {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    grant(chat, role);
    const table = (name: 'threads' | 'userThreads' | 'sendRecords') => resource(stack, chat[name].tableArn);
    return { granted: permissionsOf(stack, role), table, byActivity: resource(stack, `${chat.userThreads.tableArn}/index/byRecentActivity`) };
  }

  it('grantSendMessages allows the batch read, the transaction (with a new direct thread), the member query, the mark and a retry’s read of the staged copy', () => {
    const { granted, table } = grantsOf((chat, role) => chat.grantSendMessages(role));
    expect(granted).toEqual({
      [table('threads')]: actions('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'),
      [table('sendRecords')]: actions('dynamodb:BatchGetItem', 'dynamodb:PutItem'),
      [table('userThreads')]: actions('dynamodb:PutItem'),
    });
  });

  it('grantRecordReceipts allows reading the thread and moving the user thread row', () => {
    const { granted, table } = grantsOf((chat, role) => chat.grantRecordReceipts(role));
    expect(granted).toEqual({
      [table('threads')]: actions('dynamodb:GetItem', 'dynamodb:Query'),
      [table('userThreads')]: actions('dynamodb:UpdateItem'),
    });
  });

  it('grantManageGroups allows the membership transactions (puts, updates, deletes), the batch writes of a large group and the member counts', () => {
    const { granted, table } = grantsOf((chat, role) => chat.grantManageGroups(role));
    expect(granted).toEqual({
      [table('threads')]: actions(
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ),
      [table('userThreads')]: actions('dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'),
    });
  });

  it('grantRelayMessages allows reading members, staged copies and heads, marking copies delivered and moving user thread rows', () => {
    const { granted, table } = grantsOf((chat, role) => chat.grantRelayMessages(role));
    expect(granted).toEqual({
      [table('threads')]: actions('dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'),
      [table('userThreads')]: actions('dynamodb:UpdateItem'),
    });
  });

  it('grantReleaseStagedMessages allows batch deletes on the threads table only', () => {
    const { granted, table } = grantsOf((chat, role) => chat.grantReleaseStagedMessages(role));
    expect(granted).toEqual({ [table('threads')]: actions('dynamodb:BatchWriteItem') });
  });

  it('grantListThreads allows querying the activity index (not the table), batch-reading rows, and reading heads and members', () => {
    const { granted, table, byActivity } = grantsOf((chat, role) => chat.grantListThreads(role));
    expect(granted).toEqual({
      [byActivity]: actions('dynamodb:Query'),
      [table('userThreads')]: actions('dynamodb:BatchGetItem'),
      [table('threads')]: actions('dynamodb:BatchGetItem', 'dynamodb:Query'),
    });
  });
});
