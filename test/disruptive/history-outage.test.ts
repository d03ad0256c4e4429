import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'cassandra-driver';
import { JDK17_MODULE_FLAGS } from '../../local-cloud/standins/cassandra';
import { resolveClasspath } from '../../local-cloud/standins/java-service';
import { connectUrl, eventually, localCloud, messagesInQueue, standIns, uniqueUser } from '../support/local-cloud-env';
import { ownCloudForThisFile } from '../support/own-cloud';
import { TestClient } from '../support/ws-client';

jest.setTimeout(300_000);

// Its own cloud: turning Cassandra's binary protocol off would break every test sharing a cloud.
// Failed messages come back after 15 s instead of the template's visibility timeout: soon enough
// to see a retry, late enough that the five receives before dead-lettering outlast the outage
// even when nodetool (a JVM) takes half a minute to start on a loaded machine.
ownCloudForThisFile({ LOCAL_SQS_VISIBILITY_TIMEOUT_SECONDS: '15' });

/** Runs Cassandra's own nodetool against the local cloud's Cassandra over JMX. */
async function nodetool(command: string): Promise<void> {
  const { cassandra } = await standIns();
  const classpath = (await resolveClasspath('cassandra')).join(path.delimiter);
  await promisify(execFile)('java', [...JDK17_MODULE_FLAGS, '-cp', classpath, 'org.apache.cassandra.tools.NodeTool', '-h', '127.0.0.1', '-p', String(cassandra.adminPorts.jmx), command]);
}

/** How often the persistence function ran since the stats were last reset (this cloud runs nothing else). */
async function persistAttempts(): Promise<number> {
  const stats = (await (await fetch(`${localCloud().baseUrl}/dev/stats`)).json()) as { invocations: Array<{ logicalId: string }> };
  return stats.invocations.filter((invocation) => invocation.logicalId.startsWith('MessagePipelinePersist')).length;
}

describe('a Cassandra outage', () => {
  it('does not lose acked messages: persistence fails, is retried, and lands once Cassandra is back', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await TestClient.connect(await connectUrl(alice));
    await nodetool('disablebinary');
    await fetch(`${localCloud().baseUrl}/dev/stats/reset`, { method: 'POST' });

    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'during-outage', to: bob, text: 'sent while history is down' });
    expect(ack).toMatchObject({ status: 'sent', seq: 1 });
    // The message is readable meanwhile, from the copy staged at send time.
    const meanwhile = await client.request({ action: 'getMessages', threadId: ack.threadId }, 30_000);
    expect(meanwhile).toMatchObject({ type: 'messages', messages: [{ seq: 1, text: 'sent while history is down' }] });
    await client.close();

    // The one message of this cloud's queue is tried, fails (history is unreachable), and is tried again.
    await eventually(async () => (await persistAttempts()) >= 2, 120_000, 'a failed attempt to persist the message and a retry');
    // Still queued for another try, not given up on.
    expect(await messagesInQueue('MessagePipelineQueue')).toBe(1);
    expect(await messagesInQueue('MessagePipelineDeadLetters')).toBe(0);

    await nodetool('enablebinary');
    const cassandra = new Client({ contactPoints: [(await standIns()).cassandra.endpoint], localDataCenter: 'datacenter1' });
    try {
      await eventually(
        async () =>
          (await cassandra.execute('SELECT body FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [ack.threadId], { prepare: true })).rows
            .map((row) => row.body)
            .join() === 'sent while history is down',
        90_000,
        'the message to land in history after the outage',
      );
      await eventually(async () => (await messagesInQueue('MessagePipelineQueue')) === 0, 30_000, 'the queue to let go of the stored message');
      expect(await messagesInQueue('MessagePipelineDeadLetters')).toBe(0);
    } finally {
      await cassandra.shutdown();
    }
  });
});
