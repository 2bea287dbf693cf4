import { Agent, request } from 'node:http';
import WebSocket from 'ws';

/** Round-trip samples in milliseconds. */
export type Samples = number[];

function openSocket(url: string, protocol?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocol ? [protocol] : [], { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Frames in arrival order; `next(pred)` waits for the first unread one matching. */
class FrameReader {
  private queue: any[] = [];
  private waiter: { pred: (f: any) => boolean; resolve: (f: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;

  constructor(ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (this.waiter?.pred(f)) {
        const w = this.waiter;
        this.waiter = undefined;
        clearTimeout(w.timer);
        w.resolve(f);
      } else this.queue.push(f);
    });
  }

  next(pred: (f: any) => boolean, timeoutMs = 10_000): Promise<any> {
    const i = this.queue.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; last: ${JSON.stringify(this.queue.slice(-3))}`)), timeoutMs);
      this.waiter = { pred, resolve, reject, timer };
    });
  }

  /** Drop frames nobody waits for (the `accepted` frames), so the queue stays short. */
  drop(pred: (f: any) => boolean): void {
    this.queue = this.queue.filter((f) => !pred(f));
  }
}

/**
 * Duplex over WebSocket, one operation at a time: `send` → `callback` at the client
 * (the `accepted` frame comes between). Each callback is acknowledged.
 */
export async function wsRoundTrips(baseUrl: string, n: number, body: unknown): Promise<Samples> {
  const ws = await openSocket(baseUrl.replace(/^http/, 'ws') + '/duplex', 'itinera.v1');
  const frames = new FrameReader(ws);
  try {
    ws.send(JSON.stringify({ type: 'hello' }));
    const welcome = await frames.next((f) => f.type === 'welcome' || f.type === 'error');
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    const samples: Samples = [];
    for (let i = 0; i < n; i++) {
      const id = `c${i}`;
      const t0 = performance.now();
      ws.send(JSON.stringify({ type: 'send', id, itinerary: 'bench-echo', action: 'Echo', body }));
      const f = await frames.next((x) => x.type === 'callback' || x.type === 'fault' || (x.type === 'error' && x.id === id));
      samples.push(performance.now() - t0);
      if (f.type !== 'callback') throw new Error(`round trip ${i} failed: ${JSON.stringify(f)}`);
      ws.send(JSON.stringify({ type: 'ack', seq: f.seq }));
      frames.drop((x) => x.type === 'accepted' || x.type === 'pong');
    }
    ws.send(JSON.stringify({ type: 'bye' }));
    return samples;
  } finally {
    ws.terminate();
  }
}

/** The WebSocket baseline: the same `send` frame to a raw echo server, until it comes back. */
export async function echoRoundTrips(url: string, n: number, body: unknown): Promise<Samples> {
  const ws = await openSocket(url);
  const frames = new FrameReader(ws);
  try {
    const samples: Samples = [];
    for (let i = 0; i < n; i++) {
      const id = `c${i}`;
      const t0 = performance.now();
      ws.send(JSON.stringify({ type: 'send', id, itinerary: 'bench-echo', action: 'Echo', body }));
      await frames.next((x) => x.id === id);
      samples.push(performance.now() - t0);
    }
    return samples;
  } finally {
    ws.terminate();
  }
}

interface HttpAnswer {
  status: number;
  body: any;
}

function call(agent: Agent, method: string, url: string, token?: string, body?: unknown): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Duplex over long polling, one operation at a time, as a client that always
 * keeps one poll open: the poll is out before the message is posted; the round
 * trip ends when the poll answers with the callback.
 */
export async function pollRoundTrips(baseUrl: string, n: number, body: unknown): Promise<Samples> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const created = await call(agent, 'POST', `${baseUrl}/duplex/sessions`);
    if (created.status !== 201) throw new Error(`POST /duplex/sessions: ${created.status} ${JSON.stringify(created.body)}`);
    const { session, token } = created.body as { session: string; token: string };
    const base = `${baseUrl}/duplex/sessions/${encodeURIComponent(session)}`;
    let after = 0;
    const samples: Samples = [];
    for (let i = 0; i < n; i++) {
      const id = `c${i}`;
      const poll = call(agent, 'GET', `${base}/poll?after=${after}`, token);
      const t0 = performance.now();
      const posted = await call(agent, 'POST', `${base}/messages`, token, { id, itinerary: 'bench-echo', action: 'Echo', body });
      if (posted.status !== 202) throw new Error(`round trip ${i}: POST messages ${posted.status} ${JSON.stringify(posted.body)}`);
      let answer = await poll;
      // An empty answer (poll timeout) is not the callback yet: poll again.
      while (answer.status === 200 && answer.body.items.length === 0) answer = await call(agent, 'GET', `${base}/poll?after=${after}`, token);
      samples.push(performance.now() - t0);
      if (answer.status !== 200) throw new Error(`round trip ${i}: poll ${answer.status} ${JSON.stringify(answer.body)}`);
      const items = answer.body.items as { type: string; seq: number }[];
      if (items.some((f) => f.type !== 'callback')) throw new Error(`round trip ${i}: ${JSON.stringify(items)}`);
      after = items[items.length - 1].seq;
    }
    await call(agent, 'DELETE', base, token);
    return samples;
  } finally {
    agent.destroy();
  }
}
