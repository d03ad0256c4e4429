import { lambdaWithoutRuntime } from '../lambda-without-runtime';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lambdaHandOver } from '../../../../local-cloud/services/sns/module';
import { LocalSns, type LambdaSubscriptionTarget } from '../../../../local-cloud/services/sns/sns-server';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:Messenger-PushTopic';
const SUBSCRIPTION_ARN = `${TOPIC_ARN}:sub`;

/** Resolves with the first dead letter, or rejects after `ms`. */
function deadLetterBox(ms: number) {
  let deliver!: (body: string) => void;
  const received = new Promise<string>((resolve, reject) => {
    deliver = resolve;
    setTimeout(() => reject(new Error('no dead letter in time')), ms).unref();
  });
  return { received, deadLetter: async (body: string) => deliver(body) };
}

describe('SNS subscriptions to functions: handed to Lambda, dead-lettered only when Lambda would not take them', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sns-subscription-'));
  let sns: LocalSns;
  const lambda = lambdaWithoutRuntime('sns-subscription-lambda-');
  lambda.register({
    logicalId: 'PushSend',
    functionName: 'Messenger-PushSend',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Messenger-PushSend',
    assetDirectory: '/nonexistent',
    handler: 'index.handler',
    timeoutSeconds: 3,
    memoryMb: 128,
    environment: {},
  });

  beforeAll(async () => {
    sns = await LocalSns.start({ dataDir, log: () => undefined });
  });
  afterAll(async () => {
    await sns.stop();
    await lambda.stop();
  });

  const publish = (message: string) =>
    fetch(sns.endpoint, { method: 'POST', body: new URLSearchParams({ Action: 'Publish', TopicArn: TOPIC_ARN, Message: message }) });

  it("dead-letters at once, without retries, a message the function's resource policy keeps SNS from handing over", async () => {
    const box = deadLetterBox(5_000);
    const handOver = jest.fn(lambdaHandOver(lambda, 'PushSend', TOPIC_ARN));
    sns.configure([TOPIC_ARN], [{ subscriptionArn: SUBSCRIPTION_ARN, topicArn: TOPIC_ARN, handOver, deadLetter: box.deadLetter }]);

    expect((await publish('{"recipients":["bob"]}')).status).toBe(200);
    const envelope = JSON.parse(await box.received);
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: TOPIC_ARN, Message: '{"recipients":["bob"]}' });
    expect(handOver).toHaveBeenCalledTimes(1);
    expect(lambda.asyncCounts()).toEqual({});
  });

  it("retries a hand-over that failed on Lambda's side, then dead-letters it", async () => {
    const box = deadLetterBox(10_000);
    const handOver = jest.fn(async () => Promise.reject(new Error('Rate exceeded')));
    const subscription: LambdaSubscriptionTarget = { subscriptionArn: SUBSCRIPTION_ARN, topicArn: TOPIC_ARN, handOver, deadLetter: box.deadLetter };
    sns.configure([TOPIC_ARN], [subscription]);

    await publish('throttled');
    expect(JSON.parse(await box.received)).toMatchObject({ Message: 'throttled' });
    expect(handOver).toHaveBeenCalledTimes(3);
  });
});
