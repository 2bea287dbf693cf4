import WebSocket from 'ws';
import { checkOutbound, checkUrlAddress, type CheckedTarget } from '../provider/check-url';
import { defineAdapter, ItineraError, type SendOutcome } from '@itinera/core';
import { redactAddress } from '../provider/allow-list';
import { refusalIn } from '../provider/address-guard';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../http/http.send';

/** Close code ws uses for a frame past maxPayload. */
const MESSAGE_TOO_BIG = 1009;

export type WsSendOptions = {
  timeoutMs: number;
  protocols: string[];
  awaitAck: boolean;
  raw: boolean;
  username?: string;
  password?: string;
};

/** How to open one pooled connection. */
interface ConnectOptions {
  protocols: string[];
  timeoutMs: number;
  maxPayload: number;
  target: CheckedTarget;
  authorization?: string;
}

interface AckWaiter {
  resolve(frame: Record<string, unknown>): void;
  reject(err: Error): void;
}

interface PooledSocket {
  socket: WebSocket;
  /** Senders waiting for a reply frame, by idempotency key. */
  waiters: Map<string, Set<AckWaiter>>;
}

/** One open socket per address (and subprotocols): reconnecting per message would cost a handshake each. */
const pool = new Map<string, Promise<PooledSocket>>();

const transient = (msg: string, cause?: unknown) => new ItineraError('SEND_FAILED', msg, { transient: true, cause });

function connect(address: string, o: ConnectOptions, onClose: () => void): Promise<PooledSocket> {
  const where = redactAddress(address);
  return new Promise<PooledSocket>((resolve, reject) => {
    // The guard's lookup checks what the host resolves to as the socket connects; redirects are not followed.
    const socket = new WebSocket(address, o.protocols, {
      handshakeTimeout: o.timeoutMs,
      lookup: o.target.lookup,
      maxPayload: o.maxPayload,
      followRedirects: false,
      ...(o.authorization ? { headers: { authorization: o.authorization } } : {}),
    });
    const pooled: PooledSocket = { socket, waiters: new Map() };
    let open = false;
    socket.on('open', () => {
      open = true;
      resolve(pooled);
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object') return;
      const id = (frame as { idempotencyKey?: unknown }).idempotencyKey;
      if (typeof id !== 'string') return;
      const set = pooled.waiters.get(id);
      if (!set) return;
      pooled.waiters.delete(id);
      for (const w of set) w.resolve(frame as Record<string, unknown>);
    });
    let tooBig = false;
    socket.on('error', (err) => {
      // ws fails the connection (1006 locally) on a frame past maxPayload; remember why.
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooBig = true;
      if (open) return;
      const refused = refusalIn(err);
      reject(refused ?? transient(`ws ${where}: could not connect: ${err.message}; check that the endpoint is up and reachable`, err));
    });
    socket.on('close', (code) => {
      // The next send reconnects; whoever still waits for a reply learns now.
      onClose();
      const err =
        code === MESSAGE_TOO_BIG || tooBig
          ? new ItineraError(
              'SEND_FAILED',
              `ws ${where}: answer larger than ${o.maxPayload} bytes (a reply frame), connection closed; raise ITINERA_SEND_MAX_RESPONSE_BYTES if the endpoint really answers that much`,
            )
          : transient(`ws ${where}: connection closed (${code}) before the reply arrived; the step will be retried`);
      for (const set of pooled.waiters.values()) for (const w of set) w.reject(err);
      pooled.waiters.clear();
      if (!open) reject(transient(`ws ${where}: connection closed (${code}) during the handshake`));
    });
  });
}

async function pooledSocket(address: string, o: ConnectOptions, policyKey: string): Promise<PooledSocket> {
  // Whatever changes the connection itself is part of the key, so a socket is never shared across policies or credentials.
  const key = `${address} ${o.protocols.join(',')} ${o.maxPayload} ${policyKey} ${o.authorization ?? ''}`;
  for (let i = 0; i < 2; i++) {
    let p = pool.get(key);
    if (!p) {
      const created: Promise<PooledSocket> = connect(address, o, () => {
        if (pool.get(key) === created) pool.delete(key);
      });
      p = created;
      pool.set(key, created);
      created.catch(() => {
        if (pool.get(key) === created) pool.delete(key);
      });
    }
    const s = await p;
    if (s.socket.readyState === WebSocket.OPEN) return s;
    if (pool.get(key) === p) pool.delete(key);
  }
  throw transient(`ws ${redactAddress(address)}: the connection keeps closing; the step will be retried`);
}

function waitForAck(s: PooledSocket, id: string, timeoutMs: number, where: string): { promise: Promise<Record<string, unknown>>; abort(err: Error): void } {
  let waiter!: AckWaiter;
  let timer: NodeJS.Timeout | undefined;
  const remove = () => {
    clearTimeout(timer);
    const set = s.waiters.get(id);
    set?.delete(waiter);
    if (set && set.size === 0) s.waiters.delete(id);
  };
  const promise = new Promise<Record<string, unknown>>((resolve, reject) => {
    waiter = {
      resolve: (f) => (remove(), resolve(f)),
      reject: (e) => (remove(), reject(e)),
    };
    timer = setTimeout(
      () => waiter.reject(transient(`ws ${where}: no reply carrying idempotencyKey within ${timeoutMs} ms; the step will be retried`)),
      timeoutMs,
    );
  });
  const set = s.waiters.get(id) ?? new Set<AckWaiter>();
  set.add(waiter);
  s.waiters.set(id, set);
  // Marked handled: when the write itself fails nobody awaits the reply.
  promise.catch(() => undefined);
  // Settling twice is harmless: abort after the reply only removes a removed waiter.
  return { promise, abort: (err) => waiter.reject(err) };
}

/** WebSocket off-ramp: one pooled connection per address; optionally waits for a reply frame. */
export const wsSendAdapter = defineAdapter<WsSendOptions>({
  name: 'ws',
  summary:
    'Sends the message as a JSON text frame { idempotencyKey, messageId, correlationId, body } (or the body alone with raw) over a pooled WebSocket connection per address, reconnecting after a close. With awaitAck, waits for a reply frame carrying the same idempotencyKey (a reply with an "error" field fails the step).',
  // The pooled sockets outlive single sends: the node closes them on shutdown.
  close: () => closeWsSendPool(),
  spec: {
    timeoutMs: {
      type: 'integer',
      description: 'Time allowed to connect, and to receive the reply frame with awaitAck.',
      default: 5000,
      minimum: 1,
      maximum: 300_000,
      examples: [2000],
    },
    protocols: {
      type: 'array',
      description: 'WebSocket subprotocols to offer in the handshake (JSON array in the key=value form).',
      default: [],
      examples: [['orders.v1']],
    },
    awaitAck: {
      type: 'boolean',
      description:
        'Wait for a reply frame carrying the same idempotencyKey; its "body" (or the whole frame) becomes the send result. Without it, a frame written to the socket is success.',
      default: false,
      examples: [true],
    },
    raw: {
      type: 'boolean',
      description: 'Send the body alone (a string as is, anything else as JSON) instead of the framed message.',
      default: false,
      examples: [true],
    },
    username: {
      type: 'string',
      description: 'User for HTTP Basic authentication of the handshake. Credentials never go in the address (a URL with user:password@ is refused).',
      examples: ['orders-bot'],
    },
    password: { type: 'string', description: 'Password for HTTP Basic authentication of the handshake (with username).', examples: ['s3cret'] },
  },
  checkAddress: (address) => checkUrlAddress(address, ['ws:', 'wss:']),
  async send(address, message, options, ctx): Promise<SendOutcome> {
    const target = checkOutbound('ws', address, ctx);
    const timeoutMs = options.timeoutMs ?? 5000;
    const protocols = (options.protocols ?? []).map(String);
    const where = redactAddress(address);
    if (ctx.signal?.aborted) throw transient(`ws ${where}: aborted, the bus is shutting down`);
    const authorization =
      options.username !== undefined || options.password !== undefined
        ? `Basic ${Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`).toString('base64')}`
        : undefined;
    const maxPayload = ctx.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const policyKey = target.policyKey;
    const s = await pooledSocket(address, { protocols, timeoutMs, maxPayload, target, authorization }, policyKey);
    const frame = options.raw
      ? message.body
      : { idempotencyKey: message.idempotencyKey, messageId: message.envelope.id, correlationId: message.envelope.correlationId, body: message.body };
    const data = options.raw && typeof frame === 'string' ? frame : JSON.stringify(frame ?? null);
    const ack = options.awaitAck ? waitForAck(s, message.idempotencyKey, timeoutMs, where) : undefined;
    const onAbort = () => ack?.abort(transient(`ws ${where}: aborted while waiting for the reply, the bus is shutting down`));
    try {
      await new Promise<void>((resolve, reject) =>
        s.socket.send(data, (err) => (err ? reject(transient(`ws ${where}: send failed: ${err.message}`, err)) : resolve())),
      );
      if (!ack) return {};
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      const reply = await ack.promise;
      const error = reply.error as { code?: string; message?: string } | string | undefined;
      if (error !== undefined && error !== null) {
        const text = typeof error === 'string' ? error : (error.message ?? error.code ?? JSON.stringify(error));
        throw new ItineraError('SEND_FAILED', `ws ${where} refused the message: ${String(text).slice(0, 200)}`, { cause: reply });
      }
      return { body: 'body' in reply ? reply.body : reply };
    } catch (err) {
      ack?.abort(err as Error);
      throw err;
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
    }
  },
});

/** Close every pooled send socket (on shutdown); the next send connects again. */
export async function closeWsSendPool(timeoutMs = 2000): Promise<void> {
  const all = [...pool.values()];
  pool.clear();
  await Promise.all(
    all.map(async (p) => {
      const s = await p.catch(() => undefined);
      if (!s || s.socket.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          s.socket.terminate();
          resolve();
        }, timeoutMs);
        s.socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        s.socket.close(1001, 'shutdown');
      });
    }),
  );
}

/** Open pooled sockets, for tests and metrics. */
export function wsSendPoolSize(): number {
  return pool.size;
}
