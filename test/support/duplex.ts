import WebSocket from 'ws';

/** A raw protocol-level duplex client for tests (frames in, frames out). */
export class RawDuplex {
  readonly frames: any[] = [];
  private waiters: { pred: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  session?: string;
  token?: string;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let f: any;
      try {
        f = JSON.parse(String(data));
      } catch {
        return;
      }
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
    });
  }

  static async open(baseUrl: string, hello: Record<string, unknown> = { type: 'hello' }, headers?: Record<string, string>): Promise<RawDuplex> {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/duplex', 'itinera.v1', headers ? { headers } : undefined);
    const client = new RawDuplex(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (hello) {
      ws.send(JSON.stringify(hello));
      const welcome = await client.next((f) => f.type === 'welcome' || f.type === 'error');
      if (welcome.type === 'welcome') {
        client.session = welcome.session;
        client.token = welcome.token;
      }
    }
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame (already received or future) matching `pred`. */
  next(pred: (f: any) => boolean, timeoutMs = 10_000): Promise<any> {
    const seen = this.frames.find((f) => pred(f) && !(f as any).__taken);
    if (seen) {
      (seen as any).__taken = true;
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          f.__taken = true;
          resolve(f);
        },
      });
    });
  }

  /** Send an operation and wait for its `accepted` (or `error`) frame. */
  async call(id: string, itinerary: string, action: string, body?: unknown): Promise<any> {
    this.send({ type: 'send', id, itinerary, action, body });
    return this.next((f) => (f.type === 'accepted' || f.type === 'error') && f.id === id);
  }

  callbacks(): any[] {
    return this.frames.filter((f) => f.type === 'callback' || f.type === 'fault');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
