import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsMessageQueue } from '../../../lambdas/adapters/sqs-message-queue';
import type { StoredMessage } from '../../../lambdas/domain/messages';

const sqs = mockClient(SQSClient);
const queue = new SqsMessageQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs.example/queue');
const message = (seq: number): StoredMessage => ({ threadId: 't1', seq, messageId: `m${seq}`, senderId: 'alice', clientMsgId: `c${seq}`, text: 'hi', sentAt: 1 });
const sentSeqs = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries!.map((entry) => JSON.parse(entry.MessageBody!).seq));

beforeEach(() => sqs.reset());

describe('SqsMessageQueue', () => {
  it('sends messages in batches of ten', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    expect(await queue.enqueueAll(Array.from({ length: 23 }, (_, index) => message(index + 1)))).toEqual([]);
    expect(sentSeqs().map((seqs) => seqs.length)).toEqual([10, 10, 3]);
  });

  it('sends again only the entries SQS refused, and reports those it kept refusing', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }, { Id: '2', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Successful: [], Failed: [{ Id: '2', Code: 'InternalError', SenderFault: false }] });
    expect(await queue.enqueueAll([message(1), message(2), message(3)])).toEqual([message(3)]);
    expect(sentSeqs()).toEqual([[1, 2, 3], [2, 3], [3]]);
  });

  it('reports a whole batch whose requests kept failing', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('throttled'));
    expect(await queue.enqueueAll([message(1), message(2)])).toEqual([message(1), message(2)]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});
