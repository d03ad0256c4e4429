import { WebSocket } from 'ws';

/**
 * API Gateway's quotas for a WebSocket API's messages ("Quotas for configuring and running a
 * WebSocket API", API Gateway developer guide): a message is at most 128 KB, a frame at most
 * 32 KB, so "a message larger than 32 KB must be split into multiple frames, each 32 KB or
 * smaller. This applies to @connections commands too."
 */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;

/** A text message's size as the quotas count it: UTF-8 bytes, not characters. */
export function messageBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Sends one text message to a client as API Gateway does: in one frame up to 32 KB, else as a
 * text frame and continuation frames of 32 KB or less, which a standard client reassembles into
 * the one message. The fragments go out in one synchronous run, so no other message's frames
 * can come between them. The caller has kept the message within 128 KB.
 */
export function sendTextMessage(socket: WebSocket, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_FRAME_BYTES) {
    socket.send(text);
    return;
  }
  // A fragment may end inside a multi-byte character: only the whole message must be valid UTF-8 (RFC 6455, 5.6).
  for (let offset = 0; offset < bytes.length; offset += MAX_FRAME_BYTES) {
    const fin = offset + MAX_FRAME_BYTES >= bytes.length;
    socket.send(bytes.subarray(offset, offset + MAX_FRAME_BYTES), { binary: false, fin });
  }
}

/**
 * Follows a client's frames on the raw socket for the 32 KB frame quota, which `ws` cannot keep:
 * its `maxPayload` bounds whole messages (so it is set to the 128 KB message quota), and a message
 * of up to 128 KB may come in several frames of 32 KB or less. Fed every chunk the client sends,
 * before `ws` reads it, it tells when a frame over 32 KB begins (RFC 6455, section 5.2).
 */
export class ClientFrameSizes {
  private header: number[] = [];
  private payloadLeft = 0;

  /** Reads on through `chunk`; true once a frame larger than 32 KB has begun. */
  oversized(chunk: Buffer): boolean {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payloadLeft > 0) {
        const skipped = Math.min(this.payloadLeft, chunk.length - offset);
        this.payloadLeft -= skipped;
        offset += skipped;
        continue;
      }
      this.header.push(chunk[offset++]);
      if (this.header.length < 2) continue;
      const shortLength = this.header[1] & 0x7f;
      const lengthBytes = shortLength === 126 ? 2 : shortLength === 127 ? 8 : 0;
      const maskBytes = this.header[1] & 0x80 ? 4 : 0;
      if (this.header.length < 2 + lengthBytes + maskBytes) continue;
      const extended = Buffer.from(this.header.slice(2, 2 + lengthBytes));
      const length = lengthBytes === 0 ? shortLength : lengthBytes === 2 ? extended.readUInt16BE(0) : Number(extended.readBigUInt64BE(0));
      this.header = [];
      if (length > MAX_FRAME_BYTES) return true;
      this.payloadLeft = length;
    }
    return false;
  }
}
