import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'cassandra-driver';
import { PROJECT_ROOT } from '../../local-cloud/config';
import { standIn } from '../support/faults';
import { connectUrl, eventually, localCloud, messagesInQueue, standIns, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';
import { TestClient } from '../support/ws-client';

jest.setTimeout(600_000);

// Its own cloud, since Cassandra is stopped. Failed messages come back after 2 s instead of the
// template's visibility timeout, so the five failed receives that dead-letter a message take
// seconds, well within the outage.
ownCloudForThisFile({ LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: '2' });

type Frame = Record<string, unknown>;
const PER_THREAD = 3;

/** The texts of a thread that history (Cassandra) holds, in seq order. */
async function historyTexts(cassandra: Client, threadId: string): Promise<string[]> {
  const { rows } = await cassandra.execute('SELECT seq, body FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [threadId], { prepare: true });
  return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((row) => String(row.body));
}

describe('Cassandra down for longer than the message queue retries', () => {
  it('dead-letters the messages, serves them whole meanwhile, and the redrive command brings history back complete', async () => {
    const alice = uniqueUser('alice');
    const client = await TestClient.connect(await connectUrl(alice));
    const cassandra = new Client({ contactPoints: [(await standIns()).cassandra.endpoint], localDataCenter: 'datacenter1' });
    try {
      await standIn('cassandra', 'stop');

      // Two threads, each with a few messages, all acked while history is down.
      const sent = new Map<string, string[]>();
      for (const peer of [uniqueUser('bob'), uniqueUser('carol')]) {
        for (let n = 1; n <= PER_THREAD; n++) {
          const text = `to ${peer}, ${n} of ${PER_THREAD}`;
          const ack = await client.request({ action: 'sendMessage', clientMsgId: `${peer}-${n}`, to: peer, text }, 30_000);
          expect(ack).toMatchObject({ type: 'ack', seq: n });
          sent.set(String(ack.threadId), [...(sent.get(String(ack.threadId)) ?? []), text]);
        }
      }
      expect(sent.size).toBe(2);
      const total = 2 * PER_THREAD;

      /** Every page of every thread has every message in order: a hole fails the test at once. */
      const pagesAreWhole = async (allowRetryableErrors: boolean) => {
        for (const [threadId, texts] of sent) {
          const page: Frame = await client.request({ action: 'getMessages', threadId }, 60_000);
          if (page.type === 'error' && allowRetryableErrors) continue;
          expect(page.type).toBe('messages');
          expect((page.messages as Frame[]).map((message) => [message.seq, message.text])).toEqual(texts.map((text, index) => [index + 1, text]));
        }
      };

      // The persistence function fails on each of them until the queue gives up and dead-letters them all.
      await eventually(
        async () => {
          await pagesAreWhole(false);
          return (await messagesInQueue('MessagePipelineDeadLetters')) === total && (await messagesInQueue('MessagePipelineQueue')) === 0;
        },
        240_000,
        `all ${total} messages to be dead-lettered`,
      );

      await standIn('cassandra', 'restart');
      // Nothing brings dead letters back by itself: history still lacks them all.
      for (const threadId of sent.keys()) expect(await historyTexts(cassandra, threadId)).toEqual([]);

      // As an operator would: the project's command, against this cloud.
      const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'redrive', '--', 'MessagePipelineDeadLetters'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, LOCAL_CLOUD_URL: localCloud().baseUrl },
        timeout: 120_000,
      });
      expect(stdout).toContain(`moved ${total} messages from Messenger-MessagePipelineDeadLetters`);

      await eventually(
        async () => {
          // The functions' driver reconnects on its own schedule: a read may fail meanwhile, but never with a hole.
          await pagesAreWhole(true);
          for (const [threadId, texts] of sent) if ((await historyTexts(cassandra, threadId)).join('\n') !== texts.join('\n')) return false;
          return true;
        },
        180_000,
        'history to hold every redriven message',
      );
      await pagesAreWhole(false);
      expect(await messagesInQueue('MessagePipelineDeadLetters')).toBe(0);
    } finally {
      await cassandra.shutdown();
      await client.close();
    }
  });
});
