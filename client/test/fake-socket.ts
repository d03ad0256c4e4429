import { MessengerClient, type MessengerClientOptions } from '../src';

type Frame = Record<string, unknown>;

/** A scripted WebSocket: the test opens it, feeds it server frames and cuts it; it records what the client sends. */
export class FakeSocket {
  static readonly all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: Frame[] = [];
  closedWith: number | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string[],
  ) {
    FakeSocket.all.push(this);
  }

  static latest(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Frame);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: Frame | string): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  /** The server (or the network) ends the connection. */
  cut(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  sentOf(action: string): Frame[] {
    return this.sent.filter((frame) => frame.action === action);
  }

  /** Answers the latest request of `action` with `reply`, echoing its reqId. */
  reply(action: string, reply: Frame): Frame {
    const request = this.sentOf(action).at(-1);
    if (request === undefined) throw new Error(`no ${action} was sent; sent: ${JSON.stringify(this.sent)}`);
    this.receive({ ...reply, reqId: request.reqId });
    return request;
  }
}

export function tokenOf(sub: string, version = 1, claims: Record<string, unknown> = {}): string {
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${encode({ alg: 'RS256' })}.${encode({ sub, v: version, ...claims })}.signature`;
}

/** Random numbers the test chooses, in order (then 0.5). */
export function scriptedRandom(values: number[]): () => number {
  return () => values.shift() ?? 0.5;
}

export function fakeClient(options: Partial<MessengerClientOptions> = {}): MessengerClient {
  return new MessengerClient({
    url: 'wss://example.test/prod',
    token: () => tokenOf('alice'),
    WebSocket: FakeSocket,
    random: () => 0.5,
    ...options,
  });
}

/** Lets promises and timers due within `ms` run. */
export async function advance(ms = 0): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

/** Connects a client and opens its first socket. */
export async function connected(client: MessengerClient): Promise<FakeSocket> {
  const ready = client.connect();
  await advance();
  const socket = FakeSocket.latest();
  socket.open();
  await ready;
  return socket;
}

export function resetSockets(): void {
  FakeSocket.all.length = 0;
}
