import { UpdateCommand, type DynamoDBDocumentClientResolvedConfig, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

/** The budgets table's name in the unit tests' environment (test/unit/lambda-environment.ts). */
export const BUDGETS_TABLE = 'action-budgets';

type DocumentClientStub = AwsStub<ServiceInputTypes, ServiceOutputTypes, DynamoDBDocumentClientResolvedConfig>;

/** Admits every budget charge a handler makes, whatever else the test makes UpdateItem answer. */
export function admitEveryCharge(dynamodb: DocumentClientStub): void {
  dynamodb.on(UpdateCommand, { TableName: BUDGETS_TABLE }).resolves({ Attributes: { dueAt: 0 } });
}

/** The calls a handler made to anything but the budgets table: what a frame did besides paying for itself. */
export function callsBesideBudgets(dynamodb: DocumentClientStub) {
  return dynamodb.calls().filter((call) => (call.args[0].input as { TableName?: string }).TableName !== BUDGETS_TABLE);
}
