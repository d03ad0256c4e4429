import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientFrameSizes, MAX_FRAME_BYTES, sendTextMessage } from '../../../../local-cloud/services/apigateway/messages';

interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly length: number;
}

/** Reads the frames a server sends after the handshake (unmasked, RFC 6455 section 5.2) until a final frame. */
function readFrames(socket: Socket): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let handshakeDone = false;
    const frames: Frame[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!handshakeDone) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        buffered = buffered.subarray(end + 4);
        handshakeDone = true;
      }
      while (buffered.length >= 2) {
        const short = buffered[1] & 0x7f;
        const headerLength = short === 126 ? 4 : short === 127 ? 10 : 2;
        if (buffered.length < headerLength) return;
        const length = short === 126 ? buffered.readUInt16BE(2) : short === 127 ? Number(buffered.readBigUInt64BE(2)) : short;
        if (buffered.length < headerLength + length) return;
        const frame = { fin: (buffered[0] & 0x80) !== 0, opcode: buffered[0] & 0x0f, length };
        frames.push(frame);
        buffered = buffered.subarray(headerLength + length);
        if (frame.fin) return resolve(frames);
      }
    });
  });
}

describe('a message to a client', () => {
  let server: Server;
  let sockets: WebSocketServer;
  let port: number;
  let message: string;

  beforeAll(async () => {
    sockets = new WebSocketServer({ noServer: true });
    server = createServer();
    server.on('upgrade', (request, socket, head) => sockets.handleUpgrade(request, socket, head, (ws) => sendTextMessage(ws, message)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    sockets.close();
    await new Promise((resolve) => server.close(resolve));
  });

  function rawFrames(): Promise<Frame[]> {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    return readFrames(socket).finally(() => socket.destroy());
  }

  it('over 32 KB goes out as a text frame and continuation frames of 32 KB or less', async () => {
    message = JSON.stringify({ type: 'big', text: 'é'.repeat(50_000) }); // 100 KB in UTF-8, half as many characters
    const frames = await rawFrames();
    expect(frames.length).toBe(Math.ceil(Buffer.byteLength(message) / MAX_FRAME_BYTES));
    expect(frames.every((frame) => frame.length <= MAX_FRAME_BYTES)).toBe(true);
    expect(frames.map((frame) => frame.opcode)).toEqual([1, ...frames.slice(1).map(() => 0)]);
    expect(frames.map((frame) => frame.fin)).toEqual([...frames.slice(1).map(() => false), true]);
    expect(frames.reduce((total, frame) => total + frame.length, 0)).toBe(Buffer.byteLength(message));
  });

  it('of 32 KB or less is one frame', async () => {
    message = 'x'.repeat(MAX_FRAME_BYTES);
    expect(await rawFrames()).toEqual([{ fin: true, opcode: 1, length: MAX_FRAME_BYTES }]);
  });

  it('reaches a standard client whole, as one text message, even with a character cut between frames', async () => {
    message = JSON.stringify({ type: 'big', text: '€'.repeat(40_000) }); // a 3-byte character straddles each 32 KB edge
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    const received = await new Promise<{ data: string; isBinary: boolean }>((resolve, reject) => {
      client.once('message', (data, isBinary) => resolve({ data: data.toString(), isBinary }));
      client.once('error', reject);
    });
    client.close();
    expect(received).toEqual({ data: message, isBinary: false });
  });
});

describe("a client's frames", () => {
  /** A masked client frame header (RFC 6455, 5.2) for a payload of `length` bytes, and the payload. */
  const clientFrame = (length: number, fin = true) => {
    const lengthField = length < 126 ? [length] : length < 65536 ? [126, length >> 8, length & 0xff] : [127, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
    return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | 0x01, 0x80 | lengthField[0], ...lengthField.slice(1), 1, 2, 3, 4]), Buffer.alloc(length)]);
  };

  it('pass while each is 32 KB or less, however the bytes are cut', () => {
    const stream = Buffer.concat([clientFrame(MAX_FRAME_BYTES, false), clientFrame(10, false), clientFrame(MAX_FRAME_BYTES)]);
    const frames = new ClientFrameSizes();
    const verdicts: boolean[] = [];
    for (let offset = 0; offset < stream.length; offset += 7) verdicts.push(frames.oversized(stream.subarray(offset, offset + 7)));
    expect(verdicts.includes(true)).toBe(false);
  });

  it('are caught at the header of one over 32 KB, in the 16-bit or the 64-bit length form', () => {
    expect(new ClientFrameSizes().oversized(Buffer.concat([clientFrame(5), clientFrame(MAX_FRAME_BYTES + 1)]))).toBe(true);
    const large = new ClientFrameSizes();
    const header = clientFrame(70_000).subarray(0, 14);
    expect(large.oversized(header.subarray(0, 5))).toBe(false);
    expect(large.oversized(header.subarray(5))).toBe(true);
  });
});
