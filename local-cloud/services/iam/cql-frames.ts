/**
 * Frames of the Cassandra native protocol v4 (and DataStax's DSE v1/v2, framed the same way), as
 * `native_protocol_v4.spec` defines them: a 9-byte header (version, flags, stream, opcode, body
 * length) and a body of [int], [short], [string], [long string], [bytes] and [short bytes].
 */
export const OPCODE = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  QUERY: 0x07,
  RESULT: 0x08,
  PREPARE: 0x09,
  EXECUTE: 0x0a,
  BATCH: 0x0d,
  AUTH_CHALLENGE: 0x0e,
  AUTH_RESPONSE: 0x0f,
  AUTH_SUCCESS: 0x10,
} as const;

/** Error codes of ERROR frames. */
export const ERROR_CODE = { PROTOCOL: 0x000a, BAD_CREDENTIALS: 0x0100, UNAUTHORIZED: 0x2100, UNPREPARED: 0x2500 } as const;

const HEADER_BYTES = 9;
/** The protocol's own limit on a frame body. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;
const RESPONSE_FLAG = 0x80;
const COMPRESSION_FLAG = 0x01;

export interface Frame {
  /** The version byte, with 0x80 set on responses. */
  readonly version: number;
  readonly flags: number;
  readonly stream: number;
  readonly opcode: number;
  readonly body: Buffer;
}

/** A frame as it arrived: its fields, and its bytes (header and body), to pass on unchanged. */
export interface ReceivedFrame extends Frame {
  readonly bytes: Buffer;
}

export class ProtocolError extends Error {}

/** Cuts a byte stream into whole frames as they arrive. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): ReceivedFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: ReceivedFrame[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const version = this.pending[0] & ~RESPONSE_FLAG;
      if (version < 3 || (version > 5 && version < 0x41) || version > 0x42) throw new ProtocolError(`unsupported native protocol version ${version}`);
      const length = this.pending.readUInt32BE(5);
      if (length > MAX_BODY_BYTES) throw new ProtocolError(`frame body of ${length} bytes`);
      if (this.pending.length < HEADER_BYTES + length) break;
      frames.push({
        version: this.pending[0],
        flags: this.pending[1],
        stream: this.pending.readInt16BE(2),
        opcode: this.pending[4],
        body: this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length),
        bytes: this.pending.subarray(0, HEADER_BYTES + length),
      });
      this.pending = this.pending.subarray(HEADER_BYTES + length);
    }
    return frames;
  }
}

export function encodeFrame(frame: Frame): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = frame.version;
  header[1] = frame.flags;
  header.writeInt16BE(frame.stream, 2);
  header[4] = frame.opcode;
  header.writeUInt32BE(frame.body.length, 5);
  return Buffer.concat([header, frame.body]);
}

/** Whether a request body can be read: compressed frames cannot be, and are refused. */
export function isCompressed(frame: Frame): boolean {
  return (frame.flags & COMPRESSION_FLAG) !== 0;
}

/** The response to a request, on its stream, in its protocol version. */
export function responseTo(request: Frame, opcode: number, body: Buffer): Frame {
  return { version: (request.version & ~RESPONSE_FLAG) | RESPONSE_FLAG, flags: 0, stream: request.stream, opcode, body };
}

/** Reads the protocol's notations from a body, in order. */
export class BodyReader {
  private offset = 0;

  constructor(private readonly body: Buffer) {}

  private take(length: number): Buffer {
    if (length < 0 || this.offset + length > this.body.length) throw new ProtocolError('frame body ends early');
    const slice = this.body.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  skip(length: number): void {
    this.take(length);
  }

  byte(): number {
    return this.take(1)[0];
  }

  short(): number {
    return this.take(2).readUInt16BE(0);
  }

  int(): number {
    return this.take(4).readInt32BE(0);
  }

  string(): string {
    return this.take(this.short()).toString('utf8');
  }

  longString(): string {
    return this.take(this.int()).toString('utf8');
  }

  shortBytes(): Buffer {
    return this.take(this.short());
  }

  /** [bytes]: null (-1) and, in values, unset (-2) carry no content. */
  bytes(): Buffer | undefined {
    const length = this.int();
    return length < 0 ? undefined : this.take(length);
  }
}

export function stringBody(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function bytesBody(value: Buffer | undefined): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(value === undefined ? -1 : value.length);
  return value === undefined ? length : Buffer.concat([length, value]);
}

/** An ERROR body: [int] code, [string] message, and for Unprepared the statement id. */
export function errorBody(code: number, message: string, unpreparedId?: Buffer): Buffer {
  const codeBytes = Buffer.alloc(4);
  codeBytes.writeInt32BE(code);
  const parts = [codeBytes, stringBody(message)];
  if (unpreparedId !== undefined) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(unpreparedId.length);
    parts.push(length, unpreparedId);
  }
  return Buffer.concat(parts);
}
