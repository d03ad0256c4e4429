import { Template } from 'aws-cdk-lib/assertions';
import { ConnectionRegistry } from '../../lib/constructs/connection-registry';
import { actions, functionBaseline, grantee, logicalIdOf, permissionsOf, resource, testStack } from './template';

function synthRegistry() {
  const stack = testStack();
  const registry = new ConnectionRegistry(stack, 'Connections');
  return { stack, registry, get template() { return Template.fromStack(stack); } };
}

describe('ConnectionRegistry', () => {
  it('keeps connections by user then connection, expiring, streaming old and new images, indexed by expiry and by token expiry for the sweep', () => {
    const { template } = synthRegistry();
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'userId', KeyType: 'HASH' },
          { AttributeName: 'connectionId', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byExpiry',
            KeySchema: [
              { AttributeName: 'expiryShard', KeyType: 'HASH' },
              { AttributeName: 'expiresAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
          {
            // Not the TTL attribute: TTL never deletes a connection the sweep still has to close.
            IndexName: 'byTokenExpiry',
            KeySchema: [
              { AttributeName: 'expiryShard', KeyType: 'HASH' },
              { AttributeName: 'tokenExpiresAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
        AttributeDefinitions: [
          { AttributeName: 'userId', AttributeType: 'S' },
          { AttributeName: 'connectionId', AttributeType: 'S' },
          { AttributeName: 'expiryShard', AttributeType: 'N' },
          { AttributeName: 'expiresAt', AttributeType: 'N' },
          { AttributeName: 'tokenExpiresAt', AttributeType: 'N' },
        ],
      },
      // Connections are ephemeral.
      DeletionPolicy: 'Delete',
    });
  });

  it('sweeps stale connections every minute, a missed sweep left to the next', () => {
    const { stack, registry, template } = synthRegistry();
    const sweeperArn = { 'Fn::GetAtt': [logicalIdOf(stack, registry.staleConnectionSweeper), 'Arn'] };
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: sweeperArn, Id: 'Target0', RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: sweeperArn,
      SourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, registry.sweepSchedule), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 50,
      Environment: { Variables: { CONNECTIONS_TABLE: { Ref: logicalIdOf(stack, registry.table) } } },
    });
  });

  it('lets the sweeper query the expiry indexes, delete from the table and update the lists, and nothing else', () => {
    const { stack, registry } = synthRegistry();
    expect(permissionsOf(stack, registry.staleConnectionSweeper.role!)).toEqual({
      ...functionBaseline(stack, registry.staleConnectionSweeper),
      [resource(stack, `${registry.table.tableArn}/index/byExpiry`)]: actions('dynamodb:Query'),
      [resource(stack, `${registry.table.tableArn}/index/byTokenExpiry`)]: actions('dynamodb:Query'),
      [resource(stack, registry.table.tableArn)]: actions('dynamodb:DeleteItem', 'dynamodb:UpdateItem'),
    });
  });

  it.each([
    ['grantOpen', ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ['grantClose', ['dynamodb:DeleteItem', 'dynamodb:UpdateItem']],
    ['grantKeepAlive', ['dynamodb:UpdateItem', 'dynamodb:PutItem']],
    ['grantLookup', ['dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem']],
    ['grantReadConnections', ['dynamodb:Query']],
  ] as const)('%s allows exactly %j on the table, not on its index', (method, granted) => {
    const { stack, registry } = synthRegistry();
    const role = grantee(stack);
    registry[method](role);
    expect(permissionsOf(stack, role)).toEqual({ [resource(stack, registry.table.tableArn)]: actions(...granted) });
  });
});
