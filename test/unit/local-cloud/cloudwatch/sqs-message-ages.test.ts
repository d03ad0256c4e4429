import { QueueMessageAges } from '../../../../local-cloud/services/cloudwatch/sqs-message-ages';

const QUEUE = 'http://127.0.0.1:1/000000000000/messages';
const T0 = 1_700_000_000_000;
const state = { messages: 1, visibilityTimeoutSeconds: 30, maxReceiveCount: 5 };

function received(ages: QueueMessageAges, at: number, ...messages: Array<[messageId: string, sentTimestamp: number, receiveCount: number]>) {
  ages.observe({ kind: 'sqs-received', queueUrl: QUEUE, at, messages: messages.map(([messageId, sentTimestamp, receiveCount]) => ({ messageId, sentTimestamp, receiveCount })) });
}

describe('ApproximateAgeOfOldestMessage from what the SQS poller sees', () => {
  it('is the age in seconds of the oldest message received and not deleted, and none for a queue nobody polls', () => {
    const ages = new QueueMessageAges();
    received(ages, T0 + 1000, ['a', T0, 1], ['b', T0 + 500, 1]);
    expect(ages.oldestAgeSeconds(QUEUE, state, T0 + 42_900)).toBe(42);
    ages.observe({ kind: 'sqs-deleted', queueUrl: QUEUE, at: T0 + 43_000, messageIds: ['a'] });
    expect(ages.oldestAgeSeconds(QUEUE, state, T0 + 50_500)).toBe(50);
    expect(ages.oldestAgeSeconds('http://127.0.0.1:1/000000000000/other', state, T0 + 50_500)).toBeUndefined();
  });

  it('leaves out a message received three times or more, as SQS does with poison pills', () => {
    const ages = new QueueMessageAges();
    received(ages, T0 + 60_000, ['old', T0, 3], ['newer', T0 + 30_000, 2]);
    expect(ages.oldestAgeSeconds(QUEUE, state, T0 + 90_000)).toBe(60);
  });

  it('forgets a message once it has used up its receives and its visibility timeout (moved to the dead-letter queue), and everything when the queue is empty', () => {
    const ages = new QueueMessageAges();
    received(ages, T0 + 10_000, ['dead', T0, 1], ['live', T0 + 5000, 1]);
    received(ages, T0 + 100_000, ['dead', T0, 2]);
    expect(ages.oldestAgeSeconds(QUEUE, { ...state, maxReceiveCount: 2 }, T0 + 110_000)).toBe(110);
    expect(ages.oldestAgeSeconds(QUEUE, { ...state, maxReceiveCount: 2 }, T0 + 130_000)).toBe(125);
    expect(ages.oldestAgeSeconds(QUEUE, { ...state, messages: 0 }, T0 + 131_000)).toBeUndefined();
    expect(ages.oldestAgeSeconds(QUEUE, state, T0 + 132_000)).toBeUndefined();
  });
});
