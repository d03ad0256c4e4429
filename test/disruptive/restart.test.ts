import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from 'cassandra-driver';
import type { StandIns } from '../support/local-cloud-env';
import { eventually } from '../support/local-cloud-env';
import { freePort, startLocalCloud, type LocalCloudProcess } from '../../local-cloud/process';
import { TestClient } from '../support/ws-client';

jest.setTimeout(300_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

async function standInsOf(cloud: LocalCloudProcess): Promise<StandIns> {
  return (await (await fetch(`${cloud.baseUrl}/dev/stand-ins`)).json()) as StandIns;
}

const entry = <T>(resources: Record<string, T>, prefix: string) =>
  Object.entries(resources).find(([logicalId]) => logicalId.startsWith(prefix))![1];

async function historyCount(endpoint: string, threadId: string): Promise<number> {
  const client = new Client({ contactPoints: [endpoint], localDataCenter: 'datacenter1' });
  try {
    const result = await client.execute('SELECT seq FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [threadId], { prepare: true });
    return result.rowLength;
  } finally {
    await client.shutdown();
  }
}

describe('the local cloud keeps its data across restarts', () => {
  let cloud: LocalCloudProcess | undefined;
  afterAll(() => cloud?.stop());

  it('still has its tables, history and signing key after a restart on the same data folder', async () => {
    const port = String(await freePort());
    cloud = await startLocalCloud({ PORT: port });
    const dataDir = cloud.dataDir;
    const token = ((await (await fetch(`${cloud.baseUrl}/dev/token?user=keeper`)).json()) as { token: string }).token;

    let stand = await standInsOf(cloud);
    const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stand.dynamodb.endpoint, region: 'us-east-1', credentials }));
    const devices = entry(stand.dynamodb.tables, 'PushDevices');
    await dynamodb.send(new PutCommand({ TableName: devices, Item: { userId: 'keeper', deviceKey: 'fcm#1', platform: 'fcm' } }));
    dynamodb.destroy();
    const sqs = new SQSClient({ endpoint: stand.sqs.endpoint, region: 'us-east-1', credentials });
    const message = { threadId: 'kept-thread', seq: 1, messageId: 'm1', senderId: 'keeper', clientMsgId: 'c1', text: 'remember me', sentAt: Date.now() };
    await sqs.send(new SendMessageCommand({ QueueUrl: entry(stand.sqs.queues, 'MessagePipelineQueue'), MessageBody: JSON.stringify(message) }));
    sqs.destroy();
    await eventually(async () => (await historyCount(stand.cassandra.endpoint, 'kept-thread')) === 1, 20_000, 'the message to reach history');

    await cloud.stop();
    cloud = await startLocalCloud({ PORT: port, LOCAL_DATA_DIR: dataDir });
    stand = await standInsOf(cloud);

    const client = await TestClient.connect(`${cloud.webSocketUrl}?token=${token}`);
    expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });
    await client.close();

    expect(await historyCount(stand.cassandra.endpoint, 'kept-thread')).toBe(1);
    const reopened = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stand.dynamodb.endpoint, region: 'us-east-1', credentials }));
    const { Item } = await reopened.send(new GetCommand({ TableName: devices, Key: { userId: 'keeper', deviceKey: 'fcm#1' } }));
    reopened.destroy();
    expect(Item).toMatchObject({ platform: 'fcm' });
  });
});
