import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'cassandra-driver';
import { JDK17_MODULE_FLAGS } from '../../local-cloud/standins/cassandra';
import { resolveClasspath } from '../../local-cloud/standins/java-service';
import { connectUrl, eventually, standIns, uniqueUser } from '../support/local-cloud-env';
import { TestClient } from '../support/ws-client';

jest.setTimeout(180_000);

/** Runs Cassandra's own nodetool against the local cloud's Cassandra over JMX. */
async function nodetool(command: string): Promise<void> {
  const { cassandra } = await standIns();
  const classpath = (await resolveClasspath('cassandra')).join(path.delimiter);
  await promisify(execFile)('java', [...JDK17_MODULE_FLAGS, '-cp', classpath, 'org.apache.cassandra.tools.NodeTool', '-h', '127.0.0.1', '-p', String(cassandra.adminPorts.jmx), command]);
}

describe('a Cassandra outage', () => {
  afterAll(() => nodetool('enablebinary'));

  it('does not lose acked messages: persistence fails, is retried, and lands once Cassandra is back', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await TestClient.connect(await connectUrl(alice));
    await nodetool('disablebinary');

    const ack = await client.request({ action: 'sendMessage', clientMsgId: 'during-outage', to: bob, text: 'sent while history is down' });
    expect(ack).toMatchObject({ status: 'sent', seq: 1 });
    // The message is readable meanwhile, from the copy staged at send time.
    const meanwhile = await client.request({ action: 'getMessages', threadId: ack.threadId }, 30_000);
    expect(meanwhile).toMatchObject({ type: 'messages', messages: [{ seq: 1, text: 'sent while history is down' }] });
    // Long enough for the persistence function to fail on it, short of the five receives that would dead-letter it.
    await new Promise((resolve) => setTimeout(resolve, 3000));

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
    } finally {
      await cassandra.shutdown();
      await client.close();
    }
  });
});
