import WebSocket from 'ws';

/** A protocol-level WebSocket client for tests: raw frames out, parsed frames in, the close code. */
export class WsProbe {
  readonly frames: any[] = [];
  private waiters: (() => void)[] = [];
  session?: string;
  token?: string;
  /** Resolves with the close code when the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.frames.push(JSON.parse(String(data)));
      } catch {
        this.frames.push({ unparsable: String(data) });
      }
      this.wake();
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => (this.wake(), resolve({ code, reason: String(reason) }))));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Open a socket (no hello). */
  static async connect(baseUrl: string, opts: { protocol?: string | null; autoPong?: boolean; path?: string } = {}): Promise<WsProbe> {
    const url = baseUrl.replace(/^http/, 'ws') + (opts.path ?? '/duplex');
    const protocol = opts.protocol === null ? undefined : (opts.protocol ?? 'itinera.v1');
    const ws = new WebSocket(url, protocol === undefined ? [] : [protocol], { autoPong: opts.autoPong ?? true });
    const probe = new WsProbe(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, res })));
      ws.once('error', reject);
    });
    return probe;
  }

  /** Open and say hello (new session, or resume). Resolves after `welcome`. */
  static async open(baseUrl: string, resume?: { session: string; token?: string; lastSeq?: number }, opts: { autoPong?: boolean } = {}): Promise<WsProbe> {
    const p = await WsProbe.connect(baseUrl, opts);
    p.send(resume ? { type: 'hello', ...resume } : { type: 'hello' });
    const w = await p.next((f) => f.type === 'welcome' || f.type === 'error');
    if (w.type !== 'welcome') throw Object.assign(new Error(`hello refused: ${JSON.stringify(w)}`), { frame: w });
    p.session = w.session;
    p.token = w.token;
    return p;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame), { binary: Buffer.isBuffer(frame) });
  }

  /** The next frame after those already taken that matches `pred` (earlier non-matching ones stay). */
  async next(pred: (f: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => !f.__taken && pred(f));
      if (i >= 0) {
        this.frames[i].__taken = true;
        return this.frames[i];
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; last frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  /** send + its accepted/error frame. */
  async call(id: string, itinerary: string, action: string, body?: unknown, version?: string): Promise<any> {
    this.send({ type: 'send', id, itinerary, action, body, ...(version ? { version } : {}) });
    return this.next((f) => (f.type === 'accepted' || f.type === 'error') && f.id === id);
  }

  /** Callback and fault frames received so far. */
  outbox(): any[] {
    return this.frames.filter((f) => f.type === 'callback' || f.type === 'fault');
  }

  async waitOutbox(n: number, timeoutMs = 5000): Promise<any[]> {
    const end = Date.now() + timeoutMs;
    while (this.outbox().length < n) {
      if (Date.now() > end) throw new Error(`expected ${n} callback/fault frames, got ${JSON.stringify(this.outbox())}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.outbox();
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }
}
