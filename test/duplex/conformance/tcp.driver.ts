import { connect, type Socket } from 'node:net';
import type { DuplexDriver, Liveness, NodeTarget, NotApplicable, OpenOptions, ResumeOptions, SessionRef } from './duplex-driver';
import { FrameSession } from './frame.session';

interface TcpLink {
  socket: Socket;
  session: FrameSession;
  write(frame: object): void;
}

/** Duplex over TCP: 4-byte unsigned big-endian length, then that many bytes of UTF-8 JSON; the WebSocket's frames. */
export class TcpDriver implements DuplexDriver {
  readonly transport = 'tcp' as const;
  readonly acksOnReceipt = false;
  static readonly notApplicable: NotApplicable = {
    origin:
      'Origin is a browser header and browsers cannot open raw TCP connections (PROTOCOL.md, "Duplex over TCP": for clients that are not browsers); ITINERA_ALLOWED_ORIGINS guards pages, the credential guards TCP.',
  };
  readonly notApplicable = TcpDriver.notApplicable;
  private readonly sockets = new Set<Socket>();

  async open(node: NodeTarget, opts: OpenOptions = {}): Promise<FrameSession> {
    const link = await this.connect(node, opts.autoAck ?? true);
    await link.session.hello({ type: 'hello', ...(opts.credential ? { credential: opts.credential } : {}) });
    return this.keepAlive(link);
  }

  async resume(node: NodeTarget, ref: SessionRef, opts: ResumeOptions = {}): Promise<FrameSession> {
    const link = await this.connect(node, opts.autoAck ?? true);
    await link.session.hello({ type: 'hello', session: ref.session, token: ref.token, ...(opts.lastSeq === undefined ? {} : { lastSeq: opts.lastSeq }) });
    return this.keepAlive(link);
  }

  /** TCP has no ping frames: the client sends `ping` at least every heartbeatMs and the server answers `pong`. */
  async observeLiveness(node: NodeTarget, forMs: number, credential: string): Promise<Liveness> {
    const link = await this.connect(node, true);
    const session = link.session;
    await session.hello({ type: 'hello', credential });
    this.keepAlive(link);
    await new Promise((r) => setTimeout(r, forMs));
    const beats = session.controls.filter((f) => f.type === 'pong').length;
    await session.end();
    return { kind: 'client-ping', beats };
  }

  /** A client that stops pinging is dropped after two silent heartbeats. */
  async goSilent(node: NodeTarget, waitMs: number, credential: string): Promise<{ ref: SessionRef; dropped: boolean }> {
    const { socket, session } = await this.connect(node, true);
    await session.hello({ type: 'hello', credential });
    const dropped = await Promise.race([
      new Promise<boolean>((r) => socket.once('close', () => r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(false), waitMs)),
    ]);
    socket.destroy();
    return { ref: session.ref, dropped };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
  }

  /** Ping every half heartbeat, as the client library does, until the connection closes. */
  private keepAlive(link: TcpLink): FrameSession {
    const every = Math.max(20, Math.floor((link.session.welcome?.heartbeatMs ?? 15_000) / 2));
    const timer = setInterval(() => link.write({ type: 'ping' }), every);
    void link.session.closed.then(() => clearInterval(timer));
    return link.session;
  }

  private async connect(node: NodeTarget, autoAck: boolean): Promise<TcpLink> {
    const socket = connect({ host: '127.0.0.1', port: node.tcpPort });
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    const write = (f: object) => {
      if (socket.destroyed || !socket.writable) return;
      const text = Buffer.from(JSON.stringify(f), 'utf8');
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(text.length);
      socket.write(Buffer.concat([prefix, text]));
    };
    const closed = new Promise<void>((r) => socket.once('close', () => (this.sockets.delete(socket), r())));
    const session = new FrameSession('tcp', { write, drop: () => socket.destroy(), closed }, autoAck);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const len = buf.readUInt32BE(0);
        const payload = buf.subarray(4, 4 + len).toString('utf8');
        buf = buf.subarray(4 + len);
        try {
          session.receive(JSON.parse(payload));
        } catch {
          /* not JSON: not a frame of the contract */
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return { socket, session, write };
  }
}
