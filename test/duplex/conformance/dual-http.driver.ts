import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createWebhookReceiver, DualHttpSession, ItineraClientError, type WebhookReceiver } from '@itinera/client';
import {
  FrameLog,
  Refused,
  type DriverSession,
  type DuplexDriver,
  type NodeTarget,
  type OpenOptions,
  type OutboxFrame,
  type SendAnswer,
  type SessionRef,
  type NotApplicable,
} from './duplex-driver';

/** A session's callback address on the driver's receiver: whether it answers, what it got. */
interface Endpoint {
  session: string;
  online: boolean;
  receiver: WebhookReceiver;
  log: FrameLog;
  /** Deliveries whose signature did not verify (the suite expects none). */
  rejected: number;
}

const HEARTBEAT_REASON =
  'Dual HTTP holds no connection to keep alive (PROTOCOL.md, "Duplex over dual HTTP"): each frame is a POST whose 2xx acknowledges it; a client that stops answering gets retries with backoff until the inactivity timeout (covered by the expiry case).';

/**
 * Duplex over dual HTTP (WSDualHttpBinding): the session is opened and messages are sent
 * with the client library's DualHttpSession; callbacks arrive as signed POSTs on one
 * receiver this driver serves (a path per session), verified with the library's
 * WebhookReceiver. Going away = the receiver answers 503; coming back = it answers 2xx.
 */
export class DualHttpDriver implements DuplexDriver {
  readonly transport = 'dual-http' as const;
  readonly acksOnReceipt = true;
  static readonly notApplicable: NotApplicable = {
    heartbeat: HEARTBEAT_REASON,
    'cross-transport':
      'A dual HTTP session is given its callback address at POST /duplex/sessions and sends over the long-polling routes (PROTOCOL.md, "Duplex over dual HTTP"); it resumes on any gateway (any of them delivers) but does not become a WebSocket, TCP or polling session.',
    origin:
      'The client of dual HTTP is a server that receives webhooks, not a browser page (PROTOCOL.md, "Duplex over dual HTTP"); its guard is the callback allow-list (CALLBACK_URL_REFUSED) and the signature, not Origin.',
  };
  readonly notApplicable = DualHttpDriver.notApplicable;
  private readonly endpoints = new Map<string, Endpoint>();
  private n = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Start the receiver first: its address goes into the bus's ITINERA_CALLBACK_ALLOWLIST. */
  static async start(port: number): Promise<DualHttpDriver> {
    const server = createServer();
    const driver = new DualHttpDriver(server, port);
    server.on('request', (req, res) => void driver.deliver(req).then((status) => res.writeHead(status).end()));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return driver;
  }

  get allowList(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  private async deliver(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const ep = this.endpoints.get(req.url ?? '');
    if (!ep) return 410;
    if (!ep.online) return 503;
    try {
      ep.log.record(ep.receiver.verify(req.headers, Buffer.concat(chunks).toString('utf8')) as OutboxFrame);
      return 204;
    } catch {
      ep.rejected++;
      return 401;
    }
  }

  async open(node: NodeTarget, opts: OpenOptions = {}): Promise<DriverSession> {
    const path = `/s/${++this.n}`;
    let session: DualHttpSession;
    try {
      session = await DualHttpSession.open({ url: node.url, callbackUrl: `${this.allowList.slice(0, -1)}${path}`, credential: opts.credential });
    } catch (err) {
      if (err instanceof ItineraClientError) throw new Refused(err.code, err.status, err.message);
      throw err;
    }
    const ep: Endpoint = {
      session: session.session,
      online: true,
      receiver: createWebhookReceiver({ secret: session.info.webhookSecret }),
      log: new FrameLog(),
      rejected: 0,
    };
    this.endpoints.set(path, ep);
    return this.sessionOf(session, ep);
  }

  /** Resume: send through `node`, and the receiver answers again. */
  async resume(node: NodeTarget, ref: SessionRef): Promise<DriverSession> {
    const ep = [...this.endpoints.values()].find((e) => e.session === ref.session);
    if (!ep) throw new Error(`dual HTTP: no receiver for session ${ref.session}`);
    const check = await fetch(`${node.url}/duplex/sessions/${ref.session}`, { headers: { authorization: `Bearer ${ref.token}` } });
    if (check.status !== 200) throw new Refused(((await check.json()) as { code: string }).code, check.status);
    ep.online = true;
    // What arrives from here on is this resumed session's (as a new connection's frames would be).
    ep.log = new FrameLog();
    return this.sessionOf(
      DualHttpSession.resume({ url: node.url, session: ref.session, token: ref.token, webhookSecret: ref.webhookSecret!, inactivityTimeoutMs: 0 }),
      ep,
    );
  }

  async observeLiveness(): Promise<never> {
    throw new Error(HEARTBEAT_REASON);
  }

  async goSilent(): Promise<never> {
    throw new Error(HEARTBEAT_REASON);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }

  /** How many deliveries failed verification, over every session. */
  rejectedDeliveries(): number {
    return [...this.endpoints.values()].reduce((n, e) => n + e.rejected, 0);
  }

  private sessionOf(session: DualHttpSession, ep: Endpoint): DriverSession {
    const ref: SessionRef = { session: session.session, token: session.info.token, webhookSecret: session.info.webhookSecret };
    return {
      transport: 'dual-http',
      ref,
      get frames() {
        return ep.log.frames;
      },
      async send(itinerary: string, action: string, body?: unknown): Promise<SendAnswer> {
        try {
          const a = await session.send({ itinerary, action, ...(body === undefined ? {} : { body }) });
          return { accepted: true, messageId: a.messageId };
        } catch (err) {
          return { accepted: false, code: (err as ItineraClientError).code };
        }
      },
      waitForSeq: (seq, timeoutMs) => ep.log.waitForSeq(seq, timeoutMs),
      // A 2xx to the POST acknowledged each frame already.
      async ack() {},
      async disconnect() {
        ep.online = false;
      },
      async end() {
        ep.online = false;
        await session.close();
      },
    };
  }
}
