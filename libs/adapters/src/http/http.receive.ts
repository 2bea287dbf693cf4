import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ItineraError,
  assertIdempotencyKey,
  toItineraError,
  type InboundMessage,
  type MessageStore,
  type OnRampGateway,
  type SessionStore,
} from '@itinera/core';
import { traceContextFrom } from '@itinera/observability';
import { sendProblem } from './problem';
import { useSharedSchemas } from './route.schemas';
import { withRequestDetail } from './validation-problem';
import {
  GET_ITINERARY_SCHEMA,
  GET_MESSAGE_SCHEMA,
  LIST_ITINERARIES_SCHEMA,
  LIVE_SCHEMA,
  POST_ITINERARY_MESSAGE_SCHEMA,
  POST_MESSAGE_SCHEMA,
  READY_SCHEMA,
  metricsSchema,
} from './http.schemas';
import type { OnRampLimits } from '../limits/on-ramp-limits';
import { OPEN_AUTHENTICATOR, type Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';
import { CREDENTIAL_HEADERS, authenticateHttp, httpCredentials, mayReadRecord } from '../identity/request-identity';

export interface HttpOnRampDeps {
  gateway: OnRampGateway;
  messages: MessageStore;
  sessions: SessionStore;
  itineraries: {
    list(): unknown[];
    itinerary(name: string, version?: string): unknown;
  };
  /** Readiness: the transport (and stores) able to take writes; false, or a rejection with an ItineraError saying why, when not. */
  ready(): Promise<boolean>;
  metrics(): string | Promise<string>;
  /** Content type of the metrics text (prom-client's registry gives it). */
  metricsContentType?: string;
  /** Who is calling (ITINERA_AUTH, API keys, JWT); absent: everyone is anonymous, operator routes open. */
  auth?: Authenticator;
  /** `operator`: /metrics needs an operator like /faults (ITINERA_METRICS_AUTH). */
  metricsAuth?: 'open' | 'operator';
  /** Longest `Prefer: wait=N` honoured, in ms. */
  maxWaitMs?: number;
  /** Request (ITINERA_RATE_LIMIT) and per-caller message limits; none when absent. */
  limits?: OnRampLimits;
}

// Credentials never ride the envelope (rules, maps, records and logs see headers).
const DROP_HEADERS = new Set<string>([...CREDENTIAL_HEADERS, 'connection', 'content-length', 'host', 'transfer-encoding']);

/** The request's headers as the envelope carries them: one string each, without credentials and hop-by-hop ones. */
function inboundHeaders(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || DROP_HEADERS.has(k)) continue;
    out[k] = typeof v === 'string' ? v : v.join(', ');
  }
  return out;
}

const PREFER_WAIT = /(?:^|[,;\s])wait=(\d+(?:\.\d+)?)/;

/** `Prefer: wait=N` (seconds) → milliseconds, capped. */
function preferWaitMs(header: string | undefined, maxMs: number): number {
  const m = header && PREFER_WAIT.exec(header);
  return m ? Math.min(Number(m[1]) * 1000, maxMs) : 0;
}

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/** `application/json`, with or without parameters, or a `+json` type. */
function isJsonType(type: string | undefined): boolean {
  return type !== undefined && (type === 'application/json' || JSON_TYPE.test(type));
}

/** Structured-syntax `+json` media types (RFC 6839), as Fastify hands them over: lower case, parameters after `; `. */
const PLUS_JSON = /^application\/[a-z0-9!#$&^_.+-]+\+json(?:;|$)/;

/**
 * The HTTP on-ramp of PROTOCOL.md: messages in, status and trace out,
 * problem+json errors with stable codes. Register it inside an encapsulated
 * Fastify plugin: its error handler then covers every route of that plugin.
 */
export function registerHttpOnRamp(app: FastifyInstance, deps: HttpOnRampDeps): void {
  const maxWaitMs = deps.maxWaitMs ?? 60_000;
  const limits = deps.limits;
  const auth = deps.auth ?? OPEN_AUTHENTICATOR;
  // Fastify parses only application/json; `+json` types (application/vnd.api+json,
  // application/cloudevents+json) are JSON too, with the same size limit and poisoning checks.
  app.addContentTypeParser(PLUS_JSON, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  useSharedSchemas(app);

  app.setErrorHandler((thrown: Error & { code?: string; statusCode?: number }, req, reply) => {
    const err = withRequestDetail(thrown, req.headers) as typeof thrown;
    const mapped =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? new ItineraError(
            'PAYLOAD_TOO_LARGE',
            `the body is larger than the limit (${app.initialConfig.bodyLimit} bytes); send a smaller message or raise ITINERA_MAX_BODY_BYTES`,
          )
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? new ItineraError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json')
          : err.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
            ? // Fastify drops the parser's reason; its parser also refuses "__proto__" and "constructor.prototype" keys (prototype poisoning), so say both.
              new ItineraError(
                'INVALID_JSON',
                'the body is not valid JSON, or it has a "__proto__" or "constructor": { "prototype" } key (refused for safety); send one JSON value without them',
              )
            : err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (err instanceof SyntaxError && err.statusCode === 400)
              ? new ItineraError('INVALID_JSON', `the body is not valid JSON: ${err.message}`)
              : err.statusCode === 404
                ? new ItineraError('NOT_FOUND', err.message)
                : toItineraError(err);
    if (mapped.status >= 500 && mapped.code !== 'TRANSPORT_UNAVAILABLE' && mapped.code !== 'SHUTTING_DOWN') req.log.error({ err }, 'request failed');
    return sendProblem(reply, mapped, req.url);
  });

  /**
   * POST a message: checked in the handler itself rather than in a preHandler hook (one
   * promise and one hook round less per request; the errors and their order are the same).
   */
  const accept = async (req: FastifyRequest, reply: FastifyReply, itinerary: string | undefined, version: string | undefined) => {
    if (limits) await limits.request(req.ip);
    const h = req.headers;
    if (!isJsonType(h['content-type'])) throw new ItineraError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json');
    if (req.body === undefined) throw new ItineraError('INVALID_JSON', 'the body is empty; send a JSON value');
    const { principal, session } = await authenticateHttp(auth, deps.sessions, h);
    const sessionId = session?.id;
    const message: InboundMessage = {
      itinerary,
      version,
      action: (h['itinera-action'] as string | undefined) || undefined,
      body: req.body,
      headers: inboundHeaders(req),
      transport: 'http',
    };
    if (sessionId) message.session = sessionId;
    message.principal = principal;
    const idempotencyKey = h['idempotency-key'];
    if (idempotencyKey !== undefined) {
      assertIdempotencyKey(idempotencyKey as string);
      message.idempotencyKey = idempotencyKey as string;
    }
    const correlationId = h['itinera-correlation-id'];
    if (correlationId) message.correlationId = String(correlationId);
    // W3C: an invalid traceparent is ignored (the message starts a trace of its own).
    const traceContext = traceContextFrom(h.traceparent, h.tracestate);
    if (traceContext) message.traceContext = traceContext;
    const prefer = h.prefer as string | undefined;
    if (limits) await limits.httpMessage({ address: req.ip, ...(message.principal ? { principal: message.principal } : {}) });
    const accepted = await deps.gateway.accept(message, prefer ? { waitMs: preferWaitMs(prefer, maxWaitMs) } : undefined);
    reply.header('Itinera-Message-Id', accepted.messageId);
    reply.header('Itinera-Correlation-Id', accepted.correlationId);
    reply.header('Location', '/messages/' + accepted.messageId);
    if (accepted.duplicate) reply.header('Idempotent-Replayed', 'true');
    if (accepted.reply) return reply.code(200).send(accepted.reply.body);
    return reply
      .code(202)
      .send({ messageId: accepted.messageId, correlationId: accepted.correlationId, itinerary: accepted.itinerary, status: accepted.status });
  };

  app.post<{ Params: { name: string }; Querystring: { version?: string } }>('/itineraries/:name/messages', POST_ITINERARY_MESSAGE_SCHEMA, (req, reply) =>
    accept(req, reply, req.params.name, req.query.version || undefined),
  );
  app.post('/messages', POST_MESSAGE_SCHEMA, (req, reply) => accept(req, reply, undefined, undefined));

  app.get<{ Params: { id: string } }>('/messages/:id', GET_MESSAGE_SCHEMA, async (req, reply) => {
    const caller = await authenticateHttp(auth, deps.sessions, req.headers);
    const record = await deps.messages.get(req.params.id);
    // Someone else's record is "not found" too: its existence is not told.
    if (!record || !mayReadRecord(auth, record, caller.principal, caller.session)) {
      throw new ItineraError('MESSAGE_NOT_FOUND', `no message ${req.params.id}: unknown, not yours, or its record has expired`);
    }
    return reply.send(record);
  });

  // Names and versions: any authenticated caller. Full definitions (steps, endpoints, rules): operators.
  app.get('/itineraries', LIST_ITINERARIES_SCHEMA, async (req) => {
    await auth.authenticate(httpCredentials(req.headers, false).credentials);
    return { itineraries: deps.itineraries.list() };
  });
  app.get<{ Params: { name: string }; Querystring: { version?: string } }>(
    '/itineraries/:name',
    { ...GET_ITINERARY_SCHEMA, preValidation: operatorGuard(auth, 'itinerary definitions') },
    async (req) => deps.itineraries.itinerary(req.params.name, req.query.version || undefined),
  );

  app.get('/health/live', LIVE_SCHEMA, async () => ({ status: 'ok' }));
  app.get('/health/ready', READY_SCHEMA, async (_req, reply) => {
    // A rejection that says why (REDIS_OUT_OF_MEMORY, …) is the answer as it is.
    const ok = await deps.ready().catch((err: unknown) => (err instanceof ItineraError ? err : false));
    if (ok instanceof ItineraError) throw ok;
    if (!ok)
      throw new ItineraError('TRANSPORT_UNAVAILABLE', 'the message box is unreachable; the node takes no messages until it is back', { transient: true });
    return reply.send({ status: 'ready' });
  });
  const guarded = deps.metricsAuth === 'operator';
  app.get('/metrics', { ...metricsSchema(guarded), ...(guarded ? { preHandler: operatorGuard(auth, 'the metrics') } : {}) }, async (_req, reply) =>
    reply.type(deps.metricsContentType ?? 'text/plain; version=0.0.4').send(await deps.metrics()),
  );
}
