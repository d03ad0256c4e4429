import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export interface MessengerTableProps {
  /** Name of the string partition key. */
  readonly partitionKey: string;
  /** Name of the string sort key, if the table has one. */
  readonly sortKey?: string;
  /** Attribute holding each item's expiry (epoch seconds), if items expire. */
  readonly timeToLiveAttribute?: string;
  /** What the table's stream carries, if it has one. */
  readonly stream?: StreamViewType;
  /** @default RETAIN: the table outlives the stack */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A DynamoDB table with the messenger's defaults: string keys, on demand, point-in-time
 * recovery, encrypted at rest with the AWS managed key.
 */
export class MessengerTable extends Table {
  constructor(scope: Construct, id: string, props: MessengerTableProps) {
    super(scope, id, {
      partitionKey: { name: props.partitionKey, type: AttributeType.STRING },
      sortKey: props.sortKey === undefined ? undefined : { name: props.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: props.timeToLiveAttribute,
      stream: props.stream,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
