import { clientsClosedAfterEach, eventually, localCloud, uniqueUser } from '../support/local-cloud-env';

/**
 * The WebSocket stage's access log on the local cloud: one line per request in the template's
 * `AccessLogSettings.Format`, its `$context` variables filled, read at `GET /dev/logs?group=…`.
 */
jest.setTimeout(90_000);

const connect = clientsClosedAfterEach();

type AccessLogLine = Record<string, string>;

async function accessLogLines(): Promise<AccessLogLine[]> {
  const { baseUrl } = localCloud();
  const { groups } = (await (await fetch(`${baseUrl}/dev/logs`)).json()) as { groups: string[] };
  expect(groups).toEqual([expect.stringMatching(/^Messenger-GatewayAccessLogs/)]);
  const response = await fetch(`${baseUrl}/dev/logs?${new URLSearchParams({ group: groups[0] })}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { lines: string[] }).lines.map((line) => JSON.parse(line) as AccessLogLine);
}

test('writes a JSON line in the stage`s format for a connect and for a frame, with connectionId, routeKey and status', async () => {
  const user = uniqueUser('logged');
  const client = await connect(user);
  expect(await client.request({ action: 'ping' })).toMatchObject({ type: 'pong' });

  let mine: AccessLogLine[] = [];
  await eventually(async () => {
    mine = (await accessLogLines()).filter((line) => line.userId === user);
    return mine.some((line) => line.eventType === 'MESSAGE');
  }, 15_000, 'the frame`s access log line');

  const [connected, frame] = mine;
  const fields = ['requestId', 'requestTime', 'connectionId', 'userId', 'eventType', 'routeKey', 'status', 'error', 'integrationError', 'integrationLatency'];
  for (const line of [connected, frame]) expect(Object.keys(line).sort()).toEqual([...fields].sort());
  expect(connected).toMatchObject({ eventType: 'CONNECT', routeKey: '$connect', status: '200', error: '-', integrationError: '-' });
  expect(frame).toMatchObject({ eventType: 'MESSAGE', routeKey: 'ping', status: '200', connectionId: connected.connectionId });
  expect(connected.connectionId).toMatch(/^[A-Za-z0-9+/=]+$/);
  expect(connected.requestId).not.toBe(frame.requestId);
  for (const line of [connected, frame]) {
    expect(Number(line.requestTime)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(line.integrationLatency)).toBeGreaterThanOrEqual(0);
  }
});

test('logs a connection`s end as its DISCONNECT, on the same connectionId', async () => {
  const user = uniqueUser('logged');
  const client = await connect(user);
  await client.close();
  let mine: AccessLogLine[] = [];
  await eventually(async () => {
    mine = (await accessLogLines()).filter((line) => line.userId === user);
    return mine.some((line) => line.eventType === 'DISCONNECT');
  }, 15_000, 'the disconnect`s access log line');
  expect(mine.find((line) => line.eventType === 'DISCONNECT')).toMatchObject({ routeKey: '$disconnect', status: '200', connectionId: mine[0].connectionId });
});
