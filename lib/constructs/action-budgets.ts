import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MessengerTable } from './messenger-table';

export interface ActionBudgetsProps {
  /**
   * Groups one user may create an hour (`GROUPS_CREATED_PER_HOUR`, lambdas/shared/config.ts).
   * @default the functions' own: 20 (lambdas/domain/budget.ts)
   */
  readonly groupsCreatedPerHour?: number;
}

/**
 * Each user's budgets (lambdas/domain/budget.ts): every client frame is charged to its user here,
 * one conditional UpdateItem per charge (lambdas/adapters/dynamodb-budget-store.ts).
 */
export class ActionBudgets extends Construct {
  /**
   * Partition key `userId`, sort key `budget` (`actions`, `sends`, `acks`, `groupsCreated`,
   * `membersAdded`): when the bucket would be full again (`dueAt`, epoch ms; for `sends`, also
   * `messagesDueAt`, the messages sent). An item expires (TTL) once its bucket is full,
   * when it says no more than a missing one.
   */
  public readonly table: Table;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ActionBudgetsProps = {},
  ) {
    super(scope, id);
    this.table = new MessengerTable(this, 'Table', { partitionKey: 'userId', sortKey: 'budget', timeToLiveAttribute: 'expiresAt' });
  }

  /** Lets the grantee charge budgets and give charges back (UpdateItem), and nothing else. */
  public grantCharge(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
  }

  /** What a function that charges budgets needs: the table, and the limits the stack changes. */
  public get environment(): Record<string, string> {
    const { groupsCreatedPerHour } = this.props;
    return {
      ACTION_BUDGETS_TABLE: this.table.tableName,
      ...(groupsCreatedPerHour === undefined ? {} : { GROUPS_CREATED_PER_HOUR: String(groupsCreatedPerHour) }),
    };
  }
}
