import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { faultsDisarmedAfterEach, firedOf } from '../support/faults';
import { byLogicalId, clientsClosedAfterEach, eventually, localCloud, standIns, uniqueUser } from '../support/local-cloud-env';

jest.setTimeout(120_000);

const connect = clientsClosedAfterEach();
const arm = faultsDisarmedAfterEach();
let threads: DynamoDBDocumentClient;
let threadsTable: string;

beforeAll(async () => {
  const { dynamodb } = await standIns();
  threadsTable = byLogicalId(dynamodb.tables, 'ChatThreads');
  threads = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
});
afterAll(() => threads.destroy());

/** The staged copy of a message, as the relay marks it once delivered (and history then releases it). */
const stagedCopy = async (threadId: string, seq: number) =>
  (await threads.send(new GetCommand({ TableName: threadsTable, Key: { threadId, sk: `msg#${String(seq).padStart(12, '0')}` }, ConsistentRead: true }))).Item;

describe('a sinceJoined group’s late delivery', () => {
  it('does not show a message committed before a member joined to that member, when the relay delivers it after the add', async () => {
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(uniqueUser);
    const [aliceClient, bobClient, carolClient] = await Promise.all([connect(alice), connect(bob), connect(carol)]);
    const { threadId } = (await aliceClient.request({ action: 'createGroup', name: 'Fresh starts', members: [bob], historyForNewMembers: 'sinceJoined' })) as { threadId: string };

    // The relay is held back for as long as this fault is armed: each of its tries dies as it starts
    // delivering a message whose send died (only such messages reach the point).
    const relayHeld = await arm({ kind: 'kill', function: 'RelayFunction', point: 'relay.delivering', probability: 1 });
    await arm({ kind: 'kill', function: 'ChatActions', point: 'chat.committed', userId: alice });
    aliceClient.send({ action: 'sendMessage', reqId: 'dies', clientMsgId: 'before', threadId, text: 'said before carol joined' });
    await aliceClient.waitFor((frame) => frame.message === 'Internal server error' && frame.type === undefined);
    await eventually(async () => (await firedOf(relayHeld)).length > 0, 30_000, 'the relay to try delivering the message');

    // carol joins after the commit, while the message is still undelivered.
    expect(await aliceClient.request({ action: 'addMembers', threadId, userIds: [carol] })).toMatchObject({ type: 'thread' });
    await fetch(`${localCloud().baseUrl}/dev/faults/${encodeURIComponent(relayHeld)}`, { method: 'DELETE' });

    // The relay delivers it to bob, then marks it delivered (or history has already released it).
    expect(await bobClient.waitFor((frame) => frame.type === 'message' && frame.seq === 1, 30_000)).toMatchObject({ text: 'said before carol joined' });
    await eventually(async () => {
      const copy = await stagedCopy(threadId, 1);
      return copy === undefined || copy.deliveredAt !== undefined;
    }, 30_000, 'the relay to finish delivering the message');

    // A later message reaches carol after anything the relay posted her (one socket keeps its order): never the earlier one.
    await aliceClient.request({ action: 'sendMessage', clientMsgId: 'after', threadId, text: 'said after carol joined' });
    await carolClient.waitFor((frame) => frame.type === 'message' && frame.seq === 2);
    expect(carolClient.frames.filter((frame) => frame.type === 'message').map((frame) => frame.seq)).toEqual([2]);
    expect(((await carolClient.request({ action: 'getMessages', threadId })).messages as Array<{ seq: number }>).map((message) => message.seq)).toEqual([2]);
  });
});
