import WebSocket from 'ws';
import {
  Refused,
  type DuplexDriver,
  type Liveness,
  type NodeTarget,
  type OpenOptions,
  type ResumeOptions,
  type SessionRef,
  type NotApplicable,
} from './duplex-driver';
import { FrameSession } from './frame.session';

/** Duplex over WebSocket: `GET /duplex`, subprotocol `itinera.v1`, one JSON object per text frame. */
export class WsDriver implements DuplexDriver {
  readonly transport = 'ws' as const;
  readonly acksOnReceipt = false;
  static readonly notApplicable: NotApplicable = {};
  readonly notApplicable = WsDriver.notApplicable;
  private readonly sockets = new Set<WebSocket>();

  async open(node: NodeTarget, opts: OpenOptions = {}): Promise<FrameSession> {
    const { session } = await this.connect(node, opts.autoAck ?? true, opts.origin);
    await session.hello({ type: 'hello', ...(opts.credential ? { credential: opts.credential } : {}) });
    return session;
  }

  async resume(node: NodeTarget, ref: SessionRef, opts: ResumeOptions = {}): Promise<FrameSession> {
    const { session } = await this.connect(node, opts.autoAck ?? true);
    await session.hello({ type: 'hello', session: ref.session, token: ref.token, ...(opts.lastSeq === undefined ? {} : { lastSeq: opts.lastSeq }) });
    return session;
  }

  /** The server pings every heartbeatMs (WebSocket ping frames, answered by the ws library's pong). */
  async observeLiveness(node: NodeTarget, forMs: number, credential: string): Promise<Liveness> {
    const { ws, session } = await this.connect(node, true);
    await session.hello({ type: 'hello', credential });
    let beats = 0;
    ws.on('ping', () => beats++);
    await new Promise((r) => setTimeout(r, forMs));
    await session.end();
    return { kind: 'server-ping', beats };
  }

  /** A client that does not answer pings is terminated after two missed heartbeats (close 1006). */
  async goSilent(node: NodeTarget, waitMs: number, credential: string): Promise<{ ref: SessionRef; dropped: boolean }> {
    const { ws, session } = await this.connect(node, true, undefined, false);
    await session.hello({ type: 'hello', credential });
    const code = await Promise.race([new Promise<number>((r) => ws.once('close', (c) => r(c))), new Promise<undefined>((r) => setTimeout(r, waitMs))]);
    ws.terminate();
    return { ref: session.ref, dropped: code !== undefined };
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
  }

  private async connect(node: NodeTarget, autoAck: boolean, origin?: string, autoPong = true): Promise<{ ws: WebSocket; session: FrameSession }> {
    const ws = new WebSocket(`${node.url.replace(/^http/, 'ws')}/duplex`, 'itinera.v1', { autoPong, ...(origin ? { origin } : {}) });
    this.sockets.add(ws);
    ws.on('error', () => undefined);
    const closed = new Promise<void>((r) => ws.once('close', () => (this.sockets.delete(ws), r())));
    const session = new FrameSession(
      'ws',
      {
        write: (f) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(f)),
        drop: () => ws.terminate(),
        closed,
      },
      autoAck,
    );
    ws.on('message', (data, binary) => {
      if (binary) return;
      try {
        session.receive(JSON.parse(String(data)));
      } catch {
        /* not JSON: not a frame of the contract */
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      // Refused at the upgrade (origin, subprotocol, shutdown): a problem+json body with the code.
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += String(c)));
        res.on('end', () => {
          let code = `HTTP_${res.statusCode}`;
          try {
            code = (JSON.parse(text) as { code?: string }).code ?? code;
          } catch {
            /* no body */
          }
          ws.terminate();
          reject(new Refused(code, res.statusCode, text));
        });
      });
    });
    return { ws, session };
  }
}
