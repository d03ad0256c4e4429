import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { MessengerTable } from '../../lib/constructs/messenger-table';
import { testStack } from './template';

function synthTable(props: ConstructorParameters<typeof MessengerTable>[2]): Template {
  const stack = testStack();
  new MessengerTable(stack, 'Table', props);
  return Template.fromStack(stack);
}

describe('MessengerTable', () => {
  it('is on demand, recoverable and encrypted with string keys, kept when the stack goes', () => {
    synthTable({ partitionKey: 'userId', sortKey: 'threadId' }).hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'userId', KeyType: 'HASH' },
          { AttributeName: 'threadId', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'userId', AttributeType: 'S' },
          { AttributeName: 'threadId', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('has a partition key only, no TTL and no stream unless asked', () => {
    const table = Object.values(synthTable({ partitionKey: 'sendKey' }).findResources('AWS::DynamoDB::Table'))[0];
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'sendKey', KeyType: 'HASH' }]);
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    expect(table.Properties.StreamSpecification).toBeUndefined();
  });

  it('takes TTL, stream and removal policy from its props', () => {
    synthTable({
      partitionKey: 'userId',
      timeToLiveAttribute: 'expiresAt',
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: RemovalPolicy.DESTROY,
    }).hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      },
      DeletionPolicy: 'Delete',
    });
  });
});
