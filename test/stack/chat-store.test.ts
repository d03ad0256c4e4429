import { Template } from 'aws-cdk-lib/assertions';
import { ChatStore } from '../../lib/constructs/chat-store';
import { actions, functionBaseline, grantee, logicalIdOf, permissionsOf, resource, testStack, withActionsOnAnyResource } from './template';

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
  it('keeps threads (heads, members, staged messages expiring) streaming new images, kept when the stack goes', () => {
    const { stack, chat, template } = synthChat();
    expect(template.toJSON().Resources[logicalIdOf(stack, chat.threads)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ...encryptedOnDemandRecoverable,
        KeySchema: [
          { AttributeName: 'threadId', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      },
    });
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
            IndexName: 'byActivity',
            KeySchema: [
              { AttributeName: 'userId', KeyType: 'HASH' },
              { AttributeName: 'lastActivity', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
    });
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

  it('counts sends per user and second in a table of their own, expiring', () => {
    const { stack, chat, template } = synthChat();
    expect(template.toJSON().Resources[logicalIdOf(stack, chat.sendRates)]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        ...encryptedOnDemandRecoverable,
        KeySchema: [
          { AttributeName: 'userId', KeyType: 'HASH' },
          { AttributeName: 'second', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
  });

  it("moves members' thread rows from the threads table's stream, newly staged messages only, failures to an alarmed dead-letter queue", () => {
    const { stack, chat, template } = synthChat();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, chat.threads), 'StreamArn'] },
      FunctionName: { Ref: logicalIdOf(stack, chat.activityFunction) },
      StartingPosition: 'LATEST',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'msg#' }] } } } }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(stack, chat.activityDeadLetterQueue.queue), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, chat.activityDeadLetterQueue.queue), 'QueueName'] } }],
    });
  });

  it('tells functions the four tables', () => {
    const { stack, chat, template } = synthChat();
    const names = {
      THREADS_TABLE: chat.threads.tableName,
      USER_THREADS_TABLE: chat.userThreads.tableName,
      SEND_RECORDS_TABLE: chat.sendRecords.tableName,
      SEND_RATES_TABLE: chat.sendRates.tableName,
    };
    expect(stack.resolve(chat.environment)).toEqual(stack.resolve(names));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 30,
      Environment: { Variables: { ...stack.resolve(names), NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'messenger', POWERTOOLS_METRICS_NAMESPACE: 'Messenger' } },
    });
  });

  it('lets the activity function read the stream and memberships, move user thread rows and dead-letter a batch, and nothing else', () => {
    const { stack, chat } = synthChat();
    expect(permissionsOf(stack, chat.activityFunction.role!)).toEqual({
      ...withActionsOnAnyResource(functionBaseline(stack, chat.activityFunction), 'dynamodb:ListStreams'),
      [resource(stack, chat.threads.tableStreamArn!)]: actions('dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'),
      [resource(stack, chat.threads.tableArn)]: actions('dynamodb:Query'),
      [resource(stack, chat.userThreads.tableArn)]: actions('dynamodb:UpdateItem'),
      [resource(stack, chat.activityDeadLetterQueue.queue.queueArn)]: actions('sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'),
    });
  });

  it('grantReadThreads allows reading the threads table only', () => {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    chat.grantReadThreads(role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, chat.threads.tableArn)]: actions('dynamodb:GetItem', 'dynamodb:Query') });
  });

  it('grantTypingSignals allows reading memberships and marking them, on the threads table only', () => {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    chat.grantTypingSignals(role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, chat.threads.tableArn)]: actions('dynamodb:Query', 'dynamodb:UpdateItem') });
  });

  function grantsOf(grant: (chat: ChatStore, role: ReturnType<typeof grantee>) => unknown) {
    const { stack, chat } = synthChat();
    const role = grantee(stack);
    grant(chat, role);
    const table = (name: 'threads' | 'userThreads' | 'sendRecords' | 'sendRates') => resource(stack, chat[name].tableArn);
    return { granted: permissionsOf(stack, role), table, byActivity: resource(stack, `${chat.userThreads.tableArn}/index/byActivity`) };
  }

  it('grantSendMessages allows the rate count and its give-back, the batch read, the transaction (with a new direct thread) and the member query', () => {
    const { granted, table } = grantsOf((chat, role) => chat.grantSendMessages(role));
    expect(granted).toEqual({
      [table('threads')]: actions('dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'),
      [table('sendRecords')]: actions('dynamodb:BatchGetItem', 'dynamodb:PutItem'),
      [table('sendRates')]: actions('dynamodb:UpdateItem'),
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

  it('grantListThreads allows querying the activity index (not the table) and reading heads and members', () => {
    const { granted, table, byActivity } = grantsOf((chat, role) => chat.grantListThreads(role));
    expect(granted).toEqual({
      [byActivity]: actions('dynamodb:Query'),
      [table('threads')]: actions('dynamodb:BatchGetItem', 'dynamodb:Query'),
    });
  });
});
