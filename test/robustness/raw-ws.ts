import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A WebSocket spoken byte by byte over node:net, to send what no WebSocket library
 * would: unmasked or reserved frames, invalid UTF-8, lying lengths, half frames.
 */
export class RawWebSocket {
  private buffer = Buffer.alloc(0);
  /** Text frames from the server, parsed as JSON when they are. */
  readonly texts: unknown[] = [];
  /** The close code the server sent, if it did. */
  closeCode?: number;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.parse();
    });
  }

  /** Connect and upgrade with the itinera.v1 subprotocol. */
  static async open(port: number, path = '/duplex'): Promise<RawWebSocket> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: itinera.v1\r\n\r\n`,
    );
    const head = await new Promise<Buffer>((resolve, reject) => {
      let acc = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        acc = Buffer.concat([acc, d]);
        const end = acc.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const rest = acc.subarray(end + 4);
        if (rest.length) socket.unshift(rest);
        resolve(acc.subarray(0, end));
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during the handshake')));
    });
    if (!head.toString().startsWith('HTTP/1.1 101')) throw new Error(`no upgrade: ${head.toString()}`);
    return new RawWebSocket(socket);
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const opcode = b[0]! & 0x0f;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) return;
      const payload = b.subarray(off, off + len);
      this.buffer = b.subarray(off + len);
      if (opcode === 0x1) {
        const text = payload.toString('utf8');
        try {
          this.texts.push(JSON.parse(text));
        } catch {
          this.texts.push(text);
        }
      } else if (opcode === 0x8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      }
    }
  }
}

export interface FrameOptions {
  fin?: boolean;
  /** Client frames must be masked; false sends an illegal unmasked one. */
  mask?: boolean;
  /** RSV1..3 bits (must be 0 without extensions). */
  rsv?: number;
  /** Announce this payload length instead of the real one. */
  announce?: bigint;
}

/** One client frame: opcode 0x1 text, 0x2 binary, 0x8 close, 0x9 ping; others are reserved. */
export function wsFrame(opcode: number, payload: Buffer | string, opts: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = opts.mask ?? true;
  const len = opts.announce ?? BigInt(data.length);
  const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opcode & 0x0f)];
  let ext = Buffer.alloc(0);
  if (len < 126n) head.push((mask ? 0x80 : 0) | Number(len));
  else if (len < 65536n) {
    head.push((mask ? 0x80 : 0) | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push((mask ? 0x80 : 0) | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, data]);
  const key = randomBytes(4);
  const masked = Buffer.from(data.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}
