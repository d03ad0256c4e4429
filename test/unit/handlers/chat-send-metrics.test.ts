import { GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BatchGetCommand, DeleteCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { PublishCommand } from '@aws-sdk/client-sns';
import { logger, metrics } from '../../../lambdas/shared/observability';
import { chatHandlerHarness } from './chat-handler-harness';
import { mockConnectionLists } from '../../support/connection-lists';

const { dynamodb, gateway, sns, invoke } = chatHandlerHarness();
const addMetric = jest.spyOn(metrics, 'addMetric');
const appendKeys = jest.spyOn(logger, 'appendKeys');

/** The values a send recorded for a metric, in order. */
const recorded = (name: string) => addMetric.mock.calls.filter(([metric]) => metric === name).map(([, unit, value]) => [unit, value]);

/** Group g_1 of alice, bob and carol, at lastSeq 1; each member's live connections as given. */
function group(connections: Record<string, string[]>) {
  dynamodb.on(BatchGetCommand).resolves({
    Responses: { threads: [{ threadId: 'g_1', sk: 'meta', kind: 'group', lastSeq: 1 }, { threadId: 'g_1', sk: 'member#alice', userId: 'alice', role: 'member' }], 'send-records': [] },
  });
  dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [{ userId: 'alice' }, { userId: 'bob' }, { userId: 'carol' }] });
  mockConnectionLists(dynamodb, connections);
  dynamodb.on(TransactWriteCommand).resolves({});
  dynamodb.on(DeleteCommand).resolves({});
}

beforeEach(() => {
  addMetric.mockClear();
  appendKeys.mockClear();
});

describe('chat handler: the metrics and log keys of a send', () => {
  it('counts the send, times the ack from the start of the send, and counts the fan-out by outcome', async () => {
    group({ alice: ['alice-conn=', 'alice-tablet='], bob: ['bob-conn='], carol: ['carol-conn='] });
    // The ack takes a while to post; the latency must cover it.
    gateway.on(PostToConnectionCommand, { ConnectionId: 'alice-conn=' }).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({}), 40)));
    gateway.on(PostToConnectionCommand, { ConnectionId: 'carol-conn=' }).rejects(new GoneException({ message: 'gone', $metadata: {} }));
    gateway.on(PostToConnectionCommand, { ConnectionId: 'alice-tablet=' }).rejects(new Error('LimitExceededException'));

    await invoke({ action: 'sendMessage', clientMsgId: 'c1', threadId: 'g_1', text: 'hi' });

    expect(recorded('MessagesSent')).toEqual([['Count', 1]]);
    const [[unit, latency]] = recorded('AckLatency');
    expect(unit).toBe('Milliseconds');
    expect(latency).toBeGreaterThanOrEqual(35);
    expect(latency).toBeLessThan(5000);
    expect(recorded('FanOutSize')).toEqual([['Count', 3]]);
    expect(recorded('FramesDelivered')).toEqual([['Count', 1]]);
    expect(recorded('DeliveriesGone')).toEqual([['Count', 1]]);
    expect(recorded('DeliveriesFailed')).toEqual([['Count', 1]]);
    const committed = appendKeys.mock.calls.map(([keys]) => keys).find((keys) => 'messageId' in keys);
    expect(committed).toEqual({ threadId: 'g_1', seq: 2, messageId: expect.any(String) });
  });

  it('writes no count of zero: a send delivered everywhere has no gone or failed deliveries in its log line', async () => {
    group({ alice: ['alice-conn='], bob: ['bob-conn='] });
    gateway.on(PostToConnectionCommand).resolves({});

    await invoke({ action: 'sendMessage', clientMsgId: 'c3', threadId: 'g_1', text: 'all here' });

    expect(recorded('FramesDelivered')).toEqual([['Count', 1]]);
    expect(recorded('DeliveriesGone')).toEqual([]);
    expect(recorded('DeliveriesFailed')).toEqual([]);
  });

  it('logs with the thread of any frame that names one', async () => {
    group({});
    dynamodb.on(QueryCommand, { TableName: 'threads' }).resolves({ Items: [] });
    await invoke({ action: 'ack', threadId: 'g_1', seq: 1, status: 'read' });
    expect(appendKeys).toHaveBeenCalledWith({ threadId: 'g_1' });
  });

  it('times no ack that was not posted, and counts a push request it could not publish', async () => {
    group({ alice: ['alice-conn='] });
    gateway.on(PostToConnectionCommand, { ConnectionId: 'alice-conn=' }).rejects(new Error('LimitExceededException'));
    sns.on(PublishCommand).rejects(new Error('KMSThrottlingException'));

    await invoke({ action: 'sendMessage', clientMsgId: 'c2', threadId: 'g_1', text: 'anyone?' });

    expect(recorded('AckLatency')).toEqual([]);
    expect(recorded('PushRequestsNotPublished')).toEqual([['Count', 1]]);
  });
});
