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

  it('escapes the two characters SQS refuses in a body (U+FFFE, U+FFFF), so that history gets the text as sent', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const odd = { ...message(1), text: 'a\uFFFEb\uFFFFc' };
    await queue.enqueueAll([odd]);
    const body = sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries![0].MessageBody!;
    // Only what SQS allows: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
    expect(body).not.toMatch(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
    expect(JSON.parse(body)).toEqual(odd);
  });

  it('reports a whole batch whose requests kept failing', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('throttled'));
    expect(await queue.enqueueAll([message(1), message(2)])).toEqual([message(1), message(2)]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});
