import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ACTION_UNITS, BUDGETS } from '../../../lambdas/domain/budget';
import { chatHandlerHarness } from './chat-handler-harness';

const { dynamodb, invoke } = chatHandlerHarness();

/** The units the frame's first budget charge took from `actions`: its cost in ms of refill, back in units. */
function unitsCharged(): number {
  const charge = dynamodb.commandCalls(UpdateCommand).find((call) => call.args[0].input.TableName === 'action-budgets');
  if (charge === undefined) throw new Error('no budget charge');
  expect(charge.args[0].input.Key).toEqual({ userId: 'alice', budget: 'actions' });
  return (Number(charge.args[0].input.ExpressionAttributeValues?.[':cost0']) * BUDGETS.actions.perSecond) / 1000;
}

// Weighed by what the abuse table measured each to cost (docs/benchmark.md), not the default frame's 5 units.
it.each([
  ['blockUser', { action: 'blockUser', userId: 'mallory' }, ACTION_UNITS.blockUser],
  ['unblockUser', { action: 'unblockUser', userId: 'mallory' }, ACTION_UNITS.unblockUser],
])('charges %s its own weight', async (_action, frame, units) => {
  await invoke(frame);
  expect(units).toBeGreaterThan(5);
  expect(unitsCharged()).toBeCloseTo(units);
});
