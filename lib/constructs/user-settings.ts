import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MessengerTable } from './messenger-table';

/**
 * Each user's settings (lambdas/adapters/dynamodb-user-settings.ts): partition key `userId`,
 * `activeStatus`, `pushPreviews`, `presenceAudience` and `requestNotifications`, an item only once
 * the user changed one (absent: the protocol's defaults, docs/protocol.md "Settings").
 */
export class UserSettings extends Construct {
  public readonly table: MessengerTable;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new MessengerTable(this, 'Table', { partitionKey: 'userId' });
  }

  /** Lets the grantee read users' settings in batches, and nothing else. */
  public grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:BatchGetItem'], resourceArns: [this.table.tableArn] });
  }

  /** Lets the grantee read settings and change them. */
  public grantReadWrite(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
  }

  public get environment(): Record<string, string> {
    return { USER_SETTINGS_TABLE: this.table.tableName };
  }
}
