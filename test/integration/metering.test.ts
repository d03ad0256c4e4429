import { clientsClosedAfterEach, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';

/**
 * What the local cloud meters for the benchmark's costs (`/dev/stats`) holds to what AWS bills:
 * a single-item write whose condition failed still consumes a write unit, though DynamoDB Local
 * reports it as an error without consumed capacity.
 */
jest.setTimeout(90_000);

const connect = clientsClosedAfterEach();

interface MeteredCall {
  service: string;
  operation: string;
  error?: string;
  tables?: string[];
  capacity?: { writeUnits: number; capacityUnits: number; tables?: string[] };
}
interface Invocation {
  logicalId: string;
  start: number;
  calls: MeteredCall[];
}

const invocationsSince = async (since: number) =>
  ((await (await fetch(`${localCloud().baseUrl}/dev/stats`)).json()) as { invocations: Invocation[] }).invocations.filter((invocation) => invocation.start >= since);

it('bills a write unit for a receipt whose conditional write moved nothing', async () => {
  const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
  const [sender, reader] = [await connect(alice), await connect(bob)];
  const ack = await sender.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'hello' });
  await reader.request({ action: 'acceptRequest', threadId: ack.threadId });
  reader.send({ action: 'ack', threadId: ack.threadId, seq: 1, status: 'read' });
  await sender.waitFor((frame) => frame.type === 'receipt' && frame.status === 'read' && frame.seq === 1);

  // The same receipt again: its row is already there, so the write's condition fails.
  const since = Date.now();
  reader.send({ action: 'ack', threadId: ack.threadId, seq: 1, status: 'read' });
  let failed: MeteredCall | undefined;
  await eventually(
    async () => {
      failed = (await invocationsSince(since))
        .flatMap((invocation) => invocation.calls)
        .find((call) => call.service === 'DynamoDB' && call.operation === 'UpdateItem' && call.error === 'ConditionalCheckFailedException');
      return failed !== undefined;
    },
    30_000,
    'the repeated receipt’s failed conditional write in /dev/stats',
  );
  expect(failed!.capacity).toMatchObject({ writeUnits: 1, capacityUnits: 1 });
  expect(failed!.tables).toHaveLength(1);
});

it('bills a one-to-one send’s commit as AWS bills a transaction: 2 units for each of its 3 items, not DynamoDB Local’s 4 a table', async () => {
  const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
  const sender = await connect(alice);
  await sender.request({ action: 'sendMessage', clientMsgId: 'first', to: bob, text: 'hello' });

  // The thread exists now: the next send commits its head, its staged copy and its send record.
  const since = Date.now();
  const ack = await sender.request({ action: 'sendMessage', clientMsgId: 'second', to: bob, text: 'again' });
  expect(ack).toMatchObject({ type: 'ack', seq: 2 });
  let commit: MeteredCall | undefined;
  await eventually(
    async () => {
      commit = (await invocationsSince(since)).flatMap((invocation) => invocation.calls).find((call) => call.service === 'DynamoDB' && call.operation === 'TransactWriteItems');
      return commit !== undefined;
    },
    30_000,
    'the send’s transaction in /dev/stats',
  );
  expect(commit!.capacity).toMatchObject({ writeUnits: 6, capacityUnits: 6 });
});

it('charges a one-to-one receipt’s budget in one write, not one for the frame and one for the member told', async () => {
  const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
  const [sender, reader] = [await connect(alice), await connect(bob)];
  const ack = await sender.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'hello' });
  await reader.request({ action: 'acceptRequest', threadId: ack.threadId });

  const since = Date.now();
  reader.send({ action: 'ack', threadId: ack.threadId, seq: 1, status: 'read' });
  await sender.waitFor((frame) => frame.type === 'receipt' && frame.status === 'read' && frame.seq === 1);
  let receiptCalls: Invocation | undefined;
  // The invocation is on record once it has answered, which may be after the receipt reached the sender.
  await eventually(
    async () => {
      receiptCalls = (await invocationsSince(since)).find((invocation) => invocation.calls.some((call) => call.operation === 'UpdateItem' && call.capacity?.tables?.some((table) => table.includes('UserThreads'))));
      return receiptCalls !== undefined;
    },
    30_000,
    'the receipt’s invocation in /dev/stats',
  );
  // A wrong guess of the bucket's state fails its condition and is retried: only the admitted charges count.
  const budgetCharges = receiptCalls!.calls.filter((call) => call.operation === 'UpdateItem' && call.error === undefined && call.capacity?.tables?.some((table) => table.includes('Budgets')));
  expect(budgetCharges).toHaveLength(1);
});
