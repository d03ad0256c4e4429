/**
 * The Keyspaces IAM proxy in front of the real Cassandra stand-in, driven by cassandra-driver with
 * the functions' own SigV4 authenticator: real frames, real prepared ids, real batches.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KeyspacesSigV4AuthProvider } from '../../../../../lambdas/adapters/keyspaces-sigv4';
import { Client, types } from '../../../../../lambdas/shared/cassandra-driver';
import { startCqlIamProxy, type RunningCqlIamProxy } from '../../../../../local-cloud/services/iam/cql-proxy';
import type { CqlRequestOutcome } from '../../../../../local-cloud/services/iam/cql-requests';
import { startCassandra } from '../../../../../local-cloud/standins/cassandra';
import type { RunningStandIn } from '../../../../../local-cloud/standins/dynamodb-local';
import { CALLER, enforcerAllowing, SESSION_ARN } from './test-enforcer';

jest.setTimeout(240_000);

const TABLE_ARN = (table: string) => `arn:aws:cassandra:us-east-1:000000000000:/keyspace/ks/table/${table}`;
let dataDir: string;
let cassandra: RunningStandIn;
let proxy: RunningCqlIamProxy;
let direct: Client;
const clients: Client[] = [];
const denials: string[] = [];
let enforcer: ReturnType<typeof enforcerAllowing>;
const outcomes: CqlRequestOutcome[] = [];

function clientAs(accessKeyId: string, secretAccessKey = CALLER.secretAccessKey): Client {
  const client = new Client({
    contactPoints: [proxy.endpoint],
    localDataCenter: 'datacenter1',
    authProvider: new KeyspacesSigV4AuthProvider('us-east-1', async () => ({ accessKeyId, secretAccessKey })),
    queryOptions: { consistency: types.consistencies.localOne, prepare: true },
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'iam-cql-'));
  cassandra = await startCassandra(path.join(dataDir, 'cassandra'), dataDir);
  direct = new Client({ contactPoints: [cassandra.endpoint], localDataCenter: 'datacenter1' });
  await direct.execute("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  for (const table of ['allowed', 'forbidden']) await direct.execute(`CREATE TABLE ks.${table} (k text PRIMARY KEY, v int)`);
  proxy = await startCqlIamProxy({
    upstream: cassandra.endpoint,
    placement: () => ({ region: 'us-east-1', account: '000000000000' }),
    log: (message) => denials.push(message),
    observe: (outcome) => outcomes.push(outcome),
    enforcer: (enforcer = enforcerAllowing([
      { Effect: 'Allow', Action: 'cassandra:Select', Resource: 'arn:aws:cassandra:us-east-1:000000000000:/keyspace/system*' },
      { Effect: 'Allow', Action: 'cassandra:Modify', Resource: TABLE_ARN('allowed') },
    ])),
  });
});
afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.shutdown()));
  await direct?.shutdown();
  await proxy?.stop();
  await cassandra?.service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('Keyspaces IAM proxy', () => {
  it('authenticates a function by its SigV4 signature and runs what its role allows', async () => {
    const client = clientAs(CALLER.accessKeyId);
    await client.execute('INSERT INTO ks.allowed (k, v) VALUES (?, ?)', ['prepared', 1]);
    await client.execute("INSERT INTO ks.allowed (k, v) VALUES ('plain', 2)", [], { prepare: false });
    await client.batch([
      { query: 'INSERT INTO ks.allowed (k, v) VALUES (?, ?)', params: ['batched', 3] },
      { query: 'UPDATE ks.allowed SET v = ? WHERE k = ?', params: [4, 'plain'] },
    ]);
    const rows = (await direct.execute('SELECT k, v FROM ks.allowed')).rows.map((row) => [row.k, row.v]);
    expect(rows.sort()).toEqual([['batched', 3], ['plain', 4], ['prepared', 1]]);
  });

  it('refuses statements the role does not allow with Unauthorized, before Cassandra sees them', async () => {
    const client = clientAs(CALLER.accessKeyId);
    await expect(client.execute('SELECT * FROM ks.allowed')).rejects.toMatchObject({
      code: 0x2100,
      message: `User: ${SESSION_ARN} is not authorized to perform: cassandra:Select on resource: ${TABLE_ARN('allowed')} because no identity-based policy allows the cassandra:Select action`,
    });
    await expect(client.execute('INSERT INTO ks.forbidden (k, v) VALUES (?, ?)', ['x', 1], { prepare: false })).rejects.toMatchObject({ code: 0x2100 });
    await expect(
      client.batch([
        { query: 'INSERT INTO ks.allowed (k, v) VALUES (?, ?)', params: ['half', 1] },
        { query: 'INSERT INTO ks.forbidden (k, v) VALUES (?, ?)', params: ['half', 1] },
      ]),
    ).rejects.toMatchObject({ code: 0x2100, message: expect.stringContaining(TABLE_ARN('forbidden')) });
    expect((await direct.execute('SELECT k FROM ks.forbidden')).rowLength).toBe(0);
    expect((await direct.execute("SELECT k FROM ks.allowed WHERE k = 'half'")).rowLength).toBe(0);
    expect(denials.length).toBeGreaterThanOrEqual(3);
  });

  it('tells its observer how each request on a table was answered, with its latency and sizes', async () => {
    const client = clientAs(CALLER.accessKeyId);
    await client.connect();
    outcomes.length = 0;
    await client.execute('INSERT INTO ks.allowed (k, v) VALUES (?, ?)', ['observed', 1]);
    await expect(client.execute("INSERT INTO ks.allowed (k, v) VALUES ('observed', 'not a number')", [], { prepare: false })).rejects.toMatchObject({ code: 0x2200 });
    await expect(client.execute('INSERT INTO ks.forbidden (k, v) VALUES (?, ?)', ['x', 1], { prepare: false })).rejects.toMatchObject({ code: 0x2100 });
    const seen = outcomes.filter((outcome) => outcome.statements.every((statement) => statement.keyspace === 'ks'));
    expect(seen.map((outcome) => [outcome.statements.map((statement) => `${statement.operation} ${statement.table}`), outcome.answer])).toEqual([
      [['INSERT allowed'], 'ok'],
      [['INSERT allowed'], 'user-error'],
      [['INSERT forbidden'], 'user-error'],
    ]);
    expect(seen[0].latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen[0].requestBytes).toBeGreaterThan('observed'.length);
    expect(seen[0].responseBytes).toBeGreaterThan(0);
  });

  it('checks a prepared statement against whoever executes it', async () => {
    const statement = 'SELECT v FROM ks.allowed WHERE k = ?';
    await direct.execute(statement, ['prepared'], { prepare: true });
    await expect(clientAs(CALLER.accessKeyId).execute(statement, ['prepared'])).rejects.toMatchObject({ code: 0x2100 });
  });

  it.each([
    ['an access key no function was given', 'LOCALSomeoneElse', CALLER.secretAccessKey],
    ["a function's key signed with another secret", CALLER.accessKeyId, 'not-the-secret'],
  ])('refuses to authenticate %s', async (_, accessKeyId, secretAccessKey) => {
    await expect(clientAs(accessKeyId, secretAccessKey).connect()).rejects.toMatchObject({
      name: 'NoHostAvailableError',
      message: expect.stringMatching(/security token included in the request is invalid/),
    });
  });

  it('decides a prepared statement once for the connection that runs it, and a plain query each time', async () => {
    const client = clientAs(CALLER.accessKeyId);
    await client.execute('INSERT INTO ks.allowed (k, v) VALUES (?, ?)', ['cached', 0]);
    const decide = jest.spyOn(enforcer, 'decide');
    try {
      for (let n = 1; n <= 5; n++) await client.execute('INSERT INTO ks.allowed (k, v) VALUES (?, ?)', ['cached', n]);
      for (let n = 1; n <= 2; n++) await client.execute(`INSERT INTO ks.allowed (k, v) VALUES ('plain-cached', ${n})`, [], { prepare: false });
      expect(decide.mock.calls.filter(([, , resource]) => resource === TABLE_ARN('allowed'))).toHaveLength(2);
    } finally {
      decide.mockRestore();
    }
  });

  it('passes statements sent at once without holding any back (no Nagle delay on its sockets)', async () => {
    const client = clientAs(CALLER.accessKeyId);
    const insert = 'INSERT INTO ks.allowed (k, v) VALUES (?, ?)';
    await client.execute(insert, ['warm', 0]);
    await direct.execute(insert, ['warm', 0], { prepare: true });
    // Ten statements at once, as the persistence function sends a batch's rows: with Nagle's
    // algorithm on the proxy's sockets, each round waited for a delayed ACK (40 ms on Linux).
    const medianRound = async (via: Client) => {
      const rounds: number[] = [];
      for (let round = 0; round < 15; round++) {
        const started = performance.now();
        await Promise.all(Array.from({ length: 10 }, (_, n) => via.execute(insert, [`nagle-${round}-${n}`, n], { prepare: true })));
        rounds.push(performance.now() - started);
      }
      return rounds.sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
    };
    const straight = await medianRound(direct);
    const proxied = await medianRound(client);
    expect(proxied - straight).toBeLessThan(25);
  });
});
