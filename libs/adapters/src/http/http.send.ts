import { defineAdapter, ItineraError, type OutboundMessage, type SendContext, type SendOutcome } from '@itinera/core';
import { checkUrlAddress } from '../provider/check-url';
import { checkSendAllowed, redactAddress } from '../provider/allow-list';

export type HttpSendOptions = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, unknown>;
  timeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  contentType: string;
  expectJson: boolean;
};

/** Longest wait between retries, whatever Retry-After asks: a worker slot is held meanwhile. */
const MAX_RETRY_WAIT_MS = 30_000;
const EXCERPT_CHARS = 200;

/** HTTP(S) off-ramp: one request per message, 2xx is success. */
export const httpSendAdapter = defineAdapter<HttpSendOptions>({
  name: 'http',
  summary:
    'Sends the message body to an HTTP(S) endpoint with global fetch. Success is a 2xx answer; network errors, timeouts, 5xx and 429 are transient (retried here, then by the step retry policy), other answers fail the step. Passes Idempotency-Key, Itinera-Message-Id and Itinera-Correlation-Id downstream. Redirects are not followed, so the allow-list always applies to the real target.',
  spec: {
    method: { type: 'string', description: 'HTTP method.', default: 'POST', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], examples: ['PUT'] },
    headers: {
      type: 'object',
      description: 'Extra request headers (name to value). The Idempotency-Key and Itinera-* headers are always set by the adapter.',
      default: {},
      examples: [{ 'x-api-key': 'demo' }],
    },
    timeoutMs: {
      type: 'integer',
      description: 'Time allowed for one request, answer body included.',
      default: 5000,
      minimum: 1,
      maximum: 300_000,
      examples: [2000],
    },
    retries: {
      type: 'integer',
      description:
        'Retries of a transient failure (network error, timeout, 5xx, 429) inside the adapter, with exponential backoff; 0 leaves retrying to the step retry policy.',
      default: 0,
      minimum: 0,
      maximum: 10,
      examples: [2],
    },
    retryBackoffMs: {
      type: 'integer',
      description: 'Wait before the first retry; doubles on each further retry. A Retry-After answer header, when longer, wins (up to 30 s).',
      default: 200,
      minimum: 0,
      maximum: MAX_RETRY_WAIT_MS,
      examples: [500],
    },
    contentType: {
      type: 'string',
      description: 'Content-Type of the request body. JSON types send the body as JSON; others send a string body as is and anything else as JSON.',
      default: 'application/json',
      examples: ['application/json', 'text/plain'],
    },
    expectJson: {
      type: 'boolean',
      description:
        'Require a JSON answer and parse it (a 2xx answer that is not JSON fails the step). When false, answers with a JSON content type are parsed and others kept as text.',
      default: false,
      examples: [true],
    },
  },
  checkAddress: (address) => checkUrlAddress(address, ['http:', 'https:']),
  async send(address, message, options, ctx) {
    checkSendAllowed('http', address, ctx);
    const retries = options.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await sendOnce(address, message, options, ctx);
      } catch (err) {
        const e = err as ItineraError & { retryAfterMs?: number };
        if (!(err instanceof ItineraError) || !err.transient || attempt >= retries || ctx.signal?.aborted) throw err;
        const backoff = (options.retryBackoffMs ?? 200) * 2 ** attempt;
        const wait = Math.min(Math.max(backoff, e.retryAfterMs ?? 0), MAX_RETRY_WAIT_MS);
        ctx.logger.debug({ adapter: 'http', address: redactAddress(address), attempt: attempt + 1, waitMs: wait, code: err.code }, 'http send retry');
        await sleep(wait, ctx.signal);
      }
    }
  },
});

async function sendOnce(address: string, message: OutboundMessage, o: HttpSendOptions, ctx: SendContext): Promise<SendOutcome> {
  const method = o.method ?? 'POST';
  const contentType = o.contentType ?? 'application/json';
  const where = `${method} ${redactAddress(address)}`;
  const headers: Record<string, string> = {};
  const put = (src: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(src)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
  };
  const hasBody = method !== 'GET';
  if (hasBody) headers['content-type'] = contentType;
  put(message.headers ?? {});
  put(o.headers ?? {});
  put({
    'idempotency-key': message.idempotencyKey,
    'itinera-message-id': message.envelope.id,
    'itinera-correlation-id': message.envelope.correlationId,
    'itinera-action': message.envelope.action,
  });

  const timeout = AbortSignal.timeout(o.timeoutMs ?? 5000);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await fetch(address, { method, headers, body: hasBody ? encodeBody(message.body, contentType) : undefined, signal, redirect: 'manual' });
    text = await res.text();
  } catch (err) {
    if (ctx.signal?.aborted)
      throw new ItineraError('SEND_FAILED', `${where} aborted: the bus is shutting down; the step will be retried`, { transient: true, cause: err });
    if (timeout.aborted) {
      throw new ItineraError('SEND_FAILED', `${where} did not answer within ${o.timeoutMs ?? 5000} ms; raise timeoutMs if the endpoint is slow`, {
        transient: true,
        cause: err,
      });
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new ItineraError('SEND_FAILED', `${where} failed: ${why}; check that the endpoint is up and reachable`, { transient: true, cause: err });
  }

  if (res.status < 200 || res.status > 299) {
    const transient = res.status >= 500 || res.status === 429;
    const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, EXCERPT_CHARS);
    const redirect =
      res.status >= 300 && res.status < 400 ? ` (redirect to ${res.headers.get('location') ?? '?'}; redirects are not followed, use the final address)` : '';
    const hint = transient ? 'the step will be retried' : 'check the endpoint config and the payload';
    const err = new ItineraError('SEND_FAILED', `${where} answered ${res.status}${redirect}${excerpt ? `: ${excerpt}` : ''}; ${hint}`, {
      transient,
      cause: { status: res.status, body: excerpt },
    }) as ItineraError & { retryAfterMs?: number };
    const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
    if (retryAfter !== undefined) err.retryAfterMs = retryAfter;
    throw err;
  }

  const json = o.expectJson || /[/+]json\b/i.test(res.headers.get('content-type') ?? '');
  if (!json || text === '') return { status: res.status, body: text === '' ? undefined : text };
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch (err) {
    if (!o.expectJson) return { status: res.status, body: text };
    throw new ItineraError('SEND_FAILED', `${where} answered ${res.status} but the answer is not JSON; set expectJson=false to keep it as text`, {
      cause: err,
    });
  }
}

function encodeBody(body: unknown, contentType: string): string {
  if (/[/+]json\b/i.test(contentType)) return JSON.stringify(body ?? null);
  return typeof body === 'string' ? body : JSON.stringify(body ?? null);
}

/** Retry-After as delay seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
