import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { lambdaContext, messageEvent } from '../../support/lambda-events';

const execute = jest.fn();
jest.mock('../../../lambdas/shared/clients/keyspaces', () => ({ cassandraClient: { execute } }));
// Loaded after the mock above is in place (it reads its config and creates its clients on load).
const { handler } = require('../../../lambdas/handlers/get-messages') as typeof import('../../../lambdas/handlers/get-messages');

const dynamodb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  dynamodb.reset();
  execute.mockReset();
  dynamodb.on(UpdateCommand).resolves({});
});

const invoke = async (frame: object) => {
  const result = await handler(messageEvent(JSON.stringify(frame), 'alice', 'alice-conn=') as never, lambdaContext);
  return JSON.parse(result.body) as Record<string, unknown>;
};

const member = () => dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({ Item: { userId: 'alice' } });
const head = (lastSeq: number) =>
  dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'meta' } }).resolves({ Item: { threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq, memberCount: 2 } });

it('answers forbidden to a caller who is not a member, reading no history', async () => {
  head(3);
  dynamodb.on(GetCommand, { Key: { threadId: 'g_1', sk: 'member#alice' } }).resolves({});
  expect(await invoke({ action: 'getMessages', reqId: 'r2', threadId: 'g_1' })).toMatchObject({ type: 'error', code: 'forbidden', reqId: 'r2' });
  expect(execute).not.toHaveBeenCalled();
});

it('returns the newest page from history, filling what history lacks from the staged messages', async () => {
  head(3);
  member();
  const sentAt = new Date(1_764_000_000_000);
  execute.mockResolvedValue({
    rows: [1, 2].map((seq) => ({ seq, message_id: `m${seq}`, sender_id: 'bob', client_msg_id: `c${seq}`, body: `text ${seq}`, sent_at: sentAt })),
  });
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({
    Items: [{ threadId: 'g_1', sk: 'msg#000000000003', seq: 3, messageId: 'm3', senderId: 'alice', clientMsgId: 'c3', text: 'text 3', sentAt: 1_764_000_000_500 }],
  });

  const reply = await invoke({ action: 'getMessages', reqId: 'r1', threadId: 'g_1' });

  expect(reply).toMatchObject({ type: 'messages', reqId: 'r1', threadId: 'g_1', hasMore: false });
  expect((reply.messages as Array<{ seq: number }>).map((message) => message.seq)).toEqual([1, 2, 3]);
  const [cql, params] = execute.mock.calls[0];
  expect(cql).toMatch(/^SELECT .* WHERE thread_id = \? AND bucket = \? AND seq >= \? AND seq <= \?$/);
  expect(params).toEqual(['g_1', 0, 1, 3]);
});

it('answers bad_request to a page size out of range, reading nothing', async () => {
  expect(await invoke({ action: 'getMessages', threadId: 'g_1', limit: 101 })).toMatchObject({ type: 'error', code: 'bad_request', message: /limit/ });
  expect(execute).not.toHaveBeenCalled();
});

it('serves the page from the staged messages while Keyspaces is down, and answers internal when they do not cover it', async () => {
  head(2);
  member();
  execute.mockRejectedValue(new Error('NoHostAvailableError'));
  const stagedItem = (seq: number) => ({ threadId: 'g_1', sk: `msg#00000000000${seq}`, seq, messageId: `m${seq}`, senderId: 'bob', clientMsgId: `c${seq}`, text: `t${seq}`, sentAt: 1_764_000_000_000 + seq });
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [stagedItem(1), stagedItem(2)] });

  const page = await invoke({ action: 'getMessages', reqId: 'r3', threadId: 'g_1' });

  expect(page).toMatchObject({ type: 'messages', reqId: 'r3', hasMore: false });
  expect((page.messages as Array<{ seq: number }>).map((message) => message.seq)).toEqual([1, 2]);

  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [stagedItem(2)] });
  expect(await invoke({ action: 'getMessages', reqId: 'r4', threadId: 'g_1' })).toEqual({ type: 'error', reqId: 'r4', code: 'internal', message: expect.any(String) });
});

describe('a page of long messages', () => {
  const sentAt = new Date(1_764_000_000_000);
  const row = (seq: number) => ({ seq, message_id: `m${seq}`, sender_id: 'bob', client_msg_id: `c${seq}`, body: '€'.repeat(4000), sent_at: sentAt });

  it('follows Keyspaces’ pages to the last, and answers under 128 KB with hasMore', async () => {
    head(100);
    member();
    // Keyspaces stops a page at 1 MB read: here after 60 of the 100 rows.
    execute
      .mockResolvedValueOnce({ rows: Array.from({ length: 60 }, (_, i) => row(i + 1)), pageState: 'next-page' })
      .mockResolvedValueOnce({ rows: Array.from({ length: 40 }, (_, i) => row(i + 61)), pageState: null });
    dynamodb.on(QueryCommand).resolves({ Items: [] });

    const result = await handler(messageEvent(JSON.stringify({ action: 'getMessages', reqId: 'r1', threadId: 'g_1', afterSeq: 0, limit: 100 }), 'alice', 'alice-conn=') as never, lambdaContext);

    expect(execute.mock.calls.map((call) => call[2])).toEqual([
      { fetchSize: 100, pageState: undefined },
      { fetchSize: 100, pageState: 'next-page' },
    ]);
    expect(Buffer.byteLength(result.body, 'utf8')).toBeLessThanOrEqual(128 * 1024);
    const reply = JSON.parse(result.body) as { hasMore: boolean; messages: Array<{ seq: number; text: string }> };
    expect(reply.hasMore).toBe(true);
    expect(reply.messages.length).toBeGreaterThan(1);
    expect(reply.messages.map((message) => message.seq)).toEqual(Array.from({ length: reply.messages.length }, (_, i) => i + 1));
    // Nothing is missing from history, so the staged copies were not needed.
    expect(dynamodb).not.toHaveReceivedCommandWith(QueryCommand, { TableName: 'threads' });
  });
});
