import { Client } from 'cassandra-driver';
import { clientsClosedAfterEach, eventually, standIns, uniqueUser } from '../support/local-cloud-env';
import { keepSendRateSpent } from '../support/budgets';

jest.setTimeout(90_000);

type Frame = Record<string, unknown>;

const connect = clientsClosedAfterEach();
let cassandra: Client;

beforeAll(async () => {
  cassandra = new Client({ contactPoints: [(await standIns()).cassandra.endpoint], localDataCenter: 'datacenter1' });
});
afterAll(() => cassandra.shutdown());

/** The texts history (Cassandra) holds for a thread, by seq. */
async function historyTexts(threadId: unknown): Promise<Map<number, string>> {
  const rows = await cassandra.execute('SELECT seq, body FROM messenger.messages WHERE thread_id = ? AND bucket = 0', [threadId], { prepare: true });
  return new Map(rows.rows.map((row) => [Number(row.seq), String(row.body)]));
}

const withoutReqId = ({ reqId: _reqId, ...frame }: Frame) => frame;
const messagesTo = (client: { frames: Frame[] }) => client.frames.filter((frame) => frame.type === 'message');

describe('sendMessage is idempotent by payload, over real sockets', () => {
  it('answers an exact retry with the first ack, by peer or by thread, and creates nothing new', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const client = await connect(alice);
    const first = await client.request({ action: 'sendMessage', clientMsgId: 'same', to: bob, text: 'once' });
    const byPeer = await client.request({ action: 'sendMessage', clientMsgId: 'same', to: bob, text: 'once' });
    const byThread = await client.request({ action: 'sendMessage', clientMsgId: 'same', threadId: first.threadId, text: 'once' });
    expect(withoutReqId(byPeer)).toEqual(withoutReqId(first));
    expect(withoutReqId(byThread)).toEqual(withoutReqId(first));
    const page = await client.request({ action: 'getMessages', threadId: first.threadId });
    expect((page.messages as Frame[]).map((message) => [message.seq, message.text])).toEqual([[1, 'once']]);
  });

  it('refuses the same clientMsgId with another text or thread, and neither history nor the recipient sees it', async () => {
    const [alice, bob, carol] = [uniqueUser('alice'), uniqueUser('bob'), uniqueUser('carol')];
    const sender = await connect(alice);
    const recipient = await connect(bob);
    const first = await sender.request({ action: 'sendMessage', clientMsgId: 'c1', to: bob, text: 'the original' });
    await eventually(async () => (await historyTexts(first.threadId)).get(1) === 'the original', 20_000, 'the first message to reach history');

    for (const reuse of [
      { to: bob, text: 'a rewrite' },
      { threadId: first.threadId, text: 'a rewrite' },
      { to: carol, text: 'the original' },
    ]) {
      expect(await sender.request({ action: 'sendMessage', clientMsgId: 'c1', ...reuse })).toEqual({
        type: 'error',
        reqId: expect.any(String),
        code: 'bad_request',
        message: 'clientMsgId was already used for a different message',
      });
    }

    // A later message goes the same way (delivery, queue, history): once it has arrived, a refused one would have too.
    const next = await sender.request({ action: 'sendMessage', clientMsgId: 'c2', to: bob, text: 'the next one' });
    expect(next).toMatchObject({ status: 'sent', threadId: first.threadId, seq: 2 });
    await recipient.waitFor((frame) => frame.type === 'message' && frame.seq === 2);
    expect(messagesTo(recipient).map((message) => [message.seq, message.text])).toEqual([
      [1, 'the original'],
      [2, 'the next one'],
    ]);
    await eventually(async () => (await historyTexts(first.threadId)).has(2), 20_000, 'the next message to reach history');
    expect([...(await historyTexts(first.threadId)).entries()]).toEqual([
      [1, 'the original'],
      [2, 'the next one'],
    ]);
    const page = await sender.request({ action: 'getMessages', threadId: first.threadId });
    expect((page.messages as Frame[]).map((message) => [message.seq, message.text])).toEqual([
      [1, 'the original'],
      [2, 'the next one'],
    ]);
    const carolsThreads = await (await connect(carol)).request({ action: 'listThreads' });
    expect(carolsThreads.threads).toEqual([]);
  });

  it('does not rate-limit retries: after 20 new messages in a second, 20 retries in that second get 20 acks', async () => {
    const alice = uniqueUser('alice');
    const client = await connect(alice);
    // One thread each, so that the sends do not wait on one another for seqs.
    const peers = Array.from({ length: 20 }, () => uniqueUser('bob'));
    const send = (clientMsgId: string, i: number) => client.request({ action: 'sendMessage', clientMsgId, to: peers[i], text: `${clientMsgId} to ${i}` }, 30_000);
    const earlier = await Promise.all(peers.map((_, i) => send(`earlier-${i}`, i)));
    expect(earlier.map((ack) => ack.status)).toEqual(Array(20).fill('sent'));

    await keepSendRateSpent(alice, 60_000);
    const retries = await Promise.all(peers.map((_, i) => send(`earlier-${i}`, i)));

    expect(retries.map(withoutReqId)).toEqual(earlier.map(withoutReqId));
    // While a new message is refused: the limit was reached all the time the retries ran.
    expect(await send('one-too-many', 0)).toMatchObject({ type: 'error', code: 'rate_limited' });
  });

  it('keeps send records and rate counters apart: a user named `rate` cannot read another user’s counter as a send record', async () => {
    const alice = uniqueUser('alice');
    const victim = await connect(alice);
    const before = Math.floor(Date.now() / 1000);
    await victim.request({ action: 'sendMessage', clientMsgId: 'v1', to: uniqueUser('bob'), text: 'counted' });
    const after = Math.floor(Date.now() / 1000);

    // `rate` + `#` + `<alice>#<second>` spelled alice's counter key when both shared one table.
    const prober = await connect('rate');
    for (let second = before; second <= after; second++) {
      const reply = await prober.request({ action: 'sendMessage', clientMsgId: `${alice}#${second}`, to: alice, text: 'probe' });
      // A new message of its own, which alice receives as such: no ack made of a counter.
      const received = await victim.waitFor((frame) => frame.type === 'message' && frame.clientMsgId === `${alice}#${second}`);
      expect(reply).toEqual({
        type: 'ack',
        reqId: expect.any(String),
        status: 'sent',
        clientMsgId: `${alice}#${second}`,
        threadId: received.threadId,
        seq: received.seq,
        messageId: received.messageId,
        sentAt: received.sentAt,
      });
    }
    // And alice's sending is as it was.
    expect(await victim.request({ action: 'sendMessage', clientMsgId: 'v2', to: 'rate', text: 'still here' })).toMatchObject({ status: 'sent' });
  });
});
