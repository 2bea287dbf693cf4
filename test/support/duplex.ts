import WebSocket from 'ws';

/** Frames a raw test client received, and waiting for the next matching one (any transport). */
export abstract class FrameProbe {
  readonly frames: any[] = [];
  private waiters: { pred: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  session?: string;
  token?: string;

  abstract send(frame: unknown): void;

  /** Record a received text frame (non-JSON is ignored). */
  protected received(text: string): void {
    let f: any;
    try {
      f = JSON.parse(text);
    } catch {
      return;
    }
    this.frames.push(f);
    this.waiters = this.waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
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

  /** Say hello and wait for `welcome` (kept as session and token) or `error`. */
  protected async greet(hello: Record<string, unknown>): Promise<void> {
    this.send(hello);
    const welcome = await this.next((f) => f.type === 'welcome' || f.type === 'error');
    if (welcome.type === 'welcome') {
      this.session = welcome.session;
      this.token = welcome.token;
    }
  }
}

/** A raw protocol-level duplex client for tests over WebSocket (frames in, frames out). */
export class RawDuplex extends FrameProbe {
  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data) => this.received(String(data)));
  }

  static async open(baseUrl: string, hello: Record<string, unknown> = { type: 'hello' }, headers?: Record<string, string>): Promise<RawDuplex> {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/duplex', 'itinera.v1', headers ? { headers } : undefined);
    const client = new RawDuplex(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (hello) await client.greet(hello);
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/**
 * The chat sample across two gateways: alice registers on `urlA`, bob on `urlB`, bob
 * sends `text`; resolves with the NotifyClient frame each of them got.
 */
export async function chatAcross(urlA: string, urlB: string, text: string): Promise<{ alice: any; bob: any }> {
  const alice = await RawDuplex.open(urlA);
  const bob = await RawDuplex.open(urlB);
  try {
    await alice.call('r', 'chat', 'RegisterClient', { name: 'alice' });
    await bob.call('r', 'chat', 'RegisterClient', { name: 'bob' });
    await alice.next((f) => f.type === 'callback');
    await bob.next((f) => f.type === 'callback');
    await bob.call('m', 'chat', 'SendMessage', { text });
    const said = `bob: ${text}`;
    return { alice: await alice.next((f) => f.body?.text === said), bob: await bob.next((f) => f.body?.text === said) };
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
}
