import { hostname } from 'node:os';
import { applySpec, ItineraError, parseRedisNodes, type ConfigSpec, type RedisEndpoint, type RedisNode } from '@itinera/core';
import { ON_RAMP_SPEC, parseTrustProxy, type TrustProxy } from '@itinera/adapters';

/**
 * Configuration comes from the environment, validated at start with clear
 * errors (`VARIABLE: message`). The table in docs/configuration.md is generated
 * from this spec.
 */
export const CONFIG_SPEC = {
  PORT: { type: 'integer', description: 'HTTP and WebSocket port.', default: 3000, minimum: 0, maximum: 65535 },
  HOST: { type: 'string', description: 'Address to listen on.', default: '0.0.0.0' },
  ITINERA_TRANSPORT: {
    type: 'string',
    description: 'Message box: `memory` (embedded, one process) or `bullmq` (Redis; needs REDIS_URL).',
    default: 'memory',
    enum: ['memory', 'bullmq'],
  },
  REDIS_URL: {
    type: 'string',
    description: 'Redis URL for the bullmq transport and Redis sessions, e.g. `redis://127.0.0.1:6379`.',
    examples: ['redis://127.0.0.1:6379'],
  },
  REDIS_CLUSTER_NODES: {
    type: 'string',
    description:
      'Redis Cluster seed nodes, comma-separated `host:port`, instead of REDIS_URL: the BullMQ box, sessions and stores run on the cluster with their keys spread over its slots (one hash tag per queue, session, record, fault).',
    examples: ['10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000'],
  },
  REDIS_SENTINELS: {
    type: 'string',
    description: 'Redis Sentinels, comma-separated `host:port`, instead of REDIS_URL: the bus asks them for the master named REDIS_SENTINEL_NAME and follows its failovers.',
    examples: ['10.0.0.1:26379,10.0.0.2:26379'],
  },
  REDIS_SENTINEL_NAME: { type: 'string', description: 'The master name the Sentinels watch (with REDIS_SENTINELS).', default: 'mymaster' },
  ITINERA_ITINERARIES: { type: 'string', description: 'Folder of itineraries, policies/, maps/ and schemas/.', default: './itineraries' },
  ITINERA_LOG_LEVEL: {
    type: 'string',
    description: 'Log level; `debug` adds bodies before and after each transform, `trace` more.',
    default: 'info',
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  },
  NODE_ENV: {
    type: 'string',
    description:
      '`production` turns on the production checks: a gateway refuses to start while operator endpoints are open, any origin may open a duplex WebSocket or send adapters may reach any address, unless each is opted into (ITINERA_OPEN_OPERATOR_ENDPOINTS=true, ITINERA_ALLOWED_ORIGINS=*, ITINERA_SEND_ALLOWLIST=*); a worker checks the send allow-list. It also keeps logs JSON.',
  },
  ITINERA_LOG_PRETTY: {
    type: 'boolean',
    description:
      'Human-readable log lines through pino-pretty (a dev dependency; JSON when it is not installed). Unset: pretty when stdout is a terminal and NODE_ENV is not `production`.',
  },
  ITINERA_OPEN_OPERATOR_ENDPOINTS: {
    type: 'boolean',
    description:
      'With NODE_ENV=production, start although the operator endpoints (`/faults`, itinerary definitions) are open to every caller (ITINERA_AUTH=none and no ITINERA_ADMIN_TOKEN), e.g. where only operators reach the port. Outside production they are open in that case anyway.',
    default: false,
  },
  ITINERA_LOG_REDACT: {
    type: 'string',
    description: 'Comma-separated field names censored in logged bodies (password, token, secret, apiKey, authorization always are).',
    default: '',
  },
  ITINERA_HEARTBEAT_MS: {
    type: 'integer',
    description: 'Duplex heartbeat interval; a client that misses two is treated as disconnected.',
    default: 15000,
    minimum: 100,
  },
  ITINERA_POLL_TIMEOUT_MS: { type: 'integer', description: 'How long a long poll is held when nothing is pending.', default: 15000, minimum: 10 },
  ITINERA_SESSION_TTL_MS: { type: 'integer', description: 'Session inactivity timeout.', default: 600000, minimum: 100 },
  ITINERA_OUTBOX_LIMIT: { type: 'integer', description: 'Unacknowledged callbacks kept per session.', default: 1000, minimum: 1 },
  ITINERA_OUTBOX_OVERFLOW: {
    type: 'string',
    description: 'When the outbox is full: `fault` (the producing step faults SESSION_OUTBOX_FULL) or `drop-oldest`.',
    default: 'fault',
    enum: ['fault', 'drop-oldest'],
  },
  ITINERA_MAX_BODY_BYTES: { type: 'integer', description: 'Largest HTTP body accepted (PAYLOAD_TOO_LARGE beyond).', default: 1048576, minimum: 1024 },
  ITINERA_MAX_FRAME_BYTES: { type: 'integer', description: 'Largest WebSocket frame accepted.', default: 262144, minimum: 1024 },
  ITINERA_WORKER_CONCURRENCY: {
    type: 'integer',
    description: "Messages a worker process runs at once, from any sessions (one session's messages still run one at a time, in order); waits for a retry or a session's turn hold no slot.",
    default: 16,
    minimum: 1,
  },
  ITINERA_ENDPOINT_CONCURRENCY: {
    type: 'integer',
    description:
      'Calls one process makes at once to one send endpoint (adapter, scheme, host, port, first path segment). Keep it below ITINERA_WORKER_CONCURRENCY so a hanging endpoint leaves worker slots to the others. Endpoint config `maxConcurrency` overrides it.',
    default: 8,
    minimum: 1,
  },
  ITINERA_ENDPOINT_QUEUE: {
    type: 'integer',
    description:
      'Calls waiting for a free slot of one endpoint; beyond them the step fails ENDPOINT_BUSY (transient). Endpoint config `maxQueue` overrides it.',
    default: 64,
    minimum: 0,
  },
  ITINERA_ENDPOINT_QUEUE_WAIT_MS: {
    type: 'integer',
    description:
      'Longest wait for a free slot of one endpoint (a waiting call holds a worker slot); past it the step fails ENDPOINT_BUSY and, until one of its calls ends, the endpoint refuses at once. Endpoint config `maxQueueWaitMs` overrides it.',
    default: 500,
    minimum: 1,
  },
  ITINERA_BREAKER_FAILURES: {
    type: 'integer',
    description:
      'Consecutive timeouts, connection errors or 5xx answers of one endpoint that open its circuit: calls then fail CIRCUIT_OPEN (transient) at once. Endpoint config `breakerFailures` overrides it.',
    default: 5,
    minimum: 1,
  },
  ITINERA_BREAKER_HALF_OPEN_MS: {
    type: 'integer',
    description:
      'How long an open circuit refuses calls before one trial call closes it again (or keeps it open). Endpoint config `breakerHalfOpenMs` overrides it.',
    default: 10000,
    minimum: 100,
  },
  ITINERA_DELIVERY_ATTEMPTS: {
    type: 'integer',
    description: 'Deliveries of one job on infrastructure failures (steps retry by their own policy).',
    default: 5,
    minimum: 1,
  },
  ITINERA_SEND_ALLOWLIST: {
    type: 'string',
    description:
      'Comma-separated addresses send adapters may reach: URL prefixes compared after normalisation (scheme, host, port, path on a segment boundary), bare host names, queue names. Empty: any public address; `*`: the same, written out (what NODE_ENV=production needs to accept that). Listing a loopback or private address (e.g. `http://127.0.0.1:4000/`) is how such a target is allowed. Set it in production.',
    default: '',
  },
  ITINERA_SEND_ALLOW_PRIVATE: {
    type: 'boolean',
    description:
      'Let send adapters reach loopback, private, link-local, unique-local and CGNAT addresses without listing them (development only); cloud metadata addresses stay refused.',
    default: false,
  },
  ITINERA_SEND_MAX_RESPONSE_BYTES: {
    type: 'integer',
    description: 'Largest downstream answer a send adapter reads (http answer, ws reply frame); a longer one fails the step with SEND_FAILED.',
    default: 1048576,
    minimum: 1024,
  },
  ITINERA_ENV_FACTS: {
    type: 'string',
    description: 'Comma-separated environment variables exposed to rules and maps as the `env` fact and to `${env:NAME}` in addresses.',
    default: 'ORDERS_ENDPOINT_URL',
  },
  ITINERA_ALLOWED_ORIGINS: {
    type: 'string',
    description:
      'Comma-separated browser origins allowed to open a duplex WebSocket or use a long-polling session (e.g. `https://app.example.com`); a request with another `Origin` gets 403 FORBIDDEN; empty: any origin. `*`: any origin, written out (what NODE_ENV=production needs to accept that). Set it in production.',
    default: '',
  },
  ITINERA_RATE_LIMIT: {
    type: 'integer',
    description:
      'HTTP messages per second per client address, checked before authentication (RATE_LIMITED beyond); 0 = no limit. On top of ITINERA_MESSAGE_RATE; when it is the tighter or equal budget, an anonymous HTTP message is counted by it alone.',
    default: 0,
    minimum: 0,
  },
  ITINERA_TRUST_PROXY: {
    type: 'string',
    description:
      'Which peers are proxies whose `X-Forwarded-For` names the client (for the per-address limits and logs): `false` (none: the peer is the client), `true` (any peer; only when the bus is reachable through the proxy alone), a hop count (that many proxies in front), or comma-separated addresses and CIDRs (`10.0.0.0/8`, `loopback`, `uniquelocal`). Behind a load balancer set it, or every client shares the proxy\'s address and budget.',
    default: 'false',
  },
  ITINERA_WS_MAX_BUFFERED_BYTES: {
    type: 'integer',
    description:
      'Bytes waiting to be sent on one duplex WebSocket (a client that does not read, or floods pings); past it the socket is closed with code 4008 and the session stays resumable.',
    default: 1048576,
    minimum: 1024,
  },
  // Every on-ramp of ALL_ON_RAMPS declares its own settings (ITINERA_TCP_*, ITINERA_CALLBACK_*, …).
  ...ON_RAMP_SPEC,
  ITINERA_SESSION_RATE: {
    type: 'integer',
    description: 'New duplex sessions per second per client address and per principal (RATE_LIMITED with Retry-After beyond); 0 = no limit.',
    default: 10,
    minimum: 0,
  },
  ITINERA_SESSION_RATE_WINDOW_S: {
    type: 'integer',
    description: 'Seconds the session rate is counted over: a burst of ITINERA_SESSION_RATE × this many new sessions fits in one window.',
    default: 10,
    minimum: 1,
    maximum: 3600,
  },
  ITINERA_MAX_SESSIONS_PER_PRINCIPAL: {
    type: 'integer',
    description: 'Open duplex sessions per authenticated principal (RATE_LIMITED beyond); 0 = no limit.',
    default: 100,
    minimum: 0,
  },
  ITINERA_MAX_SESSIONS_PER_ADDRESS: {
    type: 'integer',
    description: 'Open duplex sessions per client address (RATE_LIMITED beyond); 0 = no limit.',
    default: 1000,
    minimum: 0,
  },
  ITINERA_MESSAGE_RATE: {
    type: 'integer',
    description:
      'Messages per second per principal (per client address when anonymous) on HTTP, WebSocket and long polling, counted cluster-wide on BullMQ (RATE_LIMITED with Retry-After beyond); 0 = no limit. The default is far above what one honest client sends and well below what one node can process; raise it for a service principal shared by many instances.',
    default: 1000,
    minimum: 0,
  },
  ITINERA_RECORD_MAX_BYTES: {
    type: 'integer',
    description:
      'Largest write to a message record (GET /messages/{id}); past it large context values, then the reply, then trace details are replaced by `{ "truncated": true, "bytes": N }` markers. A reply replaced reaches a gateway in another process as the marker.',
    default: 1048576,
    minimum: 1024,
  },
  ITINERA_FAULT_MAX_BYTES: {
    type: 'integer',
    description:
      'Largest fault kept whole; past it the envelope body (then context) is replaced by a `{ "truncated": true, "bytes": N }` marker and the fault cannot be resubmitted as is.',
    default: 1048576,
    minimum: 1024,
  },
  ITINERA_SELECTOR_POLICY: { type: 'string', description: 'Rules policy that selects the itinerary for `POST /messages`.', default: 'itinerary-selector' },
  ITINERA_JSONATA_TIMEOUT_MS: { type: 'integer', description: 'Longest a JSONata evaluation may run.', default: 1000, minimum: 1 },
  ITINERA_JSONATA_MAX_DEPTH: { type: 'integer', description: 'Deepest JSONata evaluation stack.', default: 500, minimum: 10 },
  ITINERA_JSONATA_MAX_STRING: {
    type: 'integer',
    description:
      'Longest string (UTF-16 units) a JSONata evaluation may build (`EXPRESSION_LIMIT` beyond). Built-in functions may produce 16 times this in total per evaluation, and a result may be 16 times this long as JSON.',
    default: 2097152,
    minimum: 1024,
  },
  ITINERA_JSONATA_MAX_ITEMS: {
    type: 'integer',
    description: 'Most items a sequence or array built by a JSONata evaluation may hold (`EXPRESSION_LIMIT` beyond).',
    default: 1000000,
    minimum: 100,
  },
  ITINERA_JSONATA_ISOLATION: {
    type: 'string',
    enum: ['none', 'thread'],
    description:
      '`thread`: evaluate JSONata in a pool of worker threads, each terminated and replaced when an evaluation overruns its time or heap (also stops one long built-in call); `none`: on the event loop, with the in-process guards only.',
    default: 'none',
  },
  ITINERA_JSONATA_WORKERS: { type: 'integer', description: 'Evaluation threads when ITINERA_JSONATA_ISOLATION=thread.', default: 2, minimum: 1, maximum: 64 },
  ITINERA_JSONATA_WORKER_MEMORY_MB: {
    type: 'integer',
    description: 'Heap limit of each evaluation thread (MB); an evaluation past it fails `EXPRESSION_LIMIT`.',
    default: 128,
    minimum: 16,
  },
  ITINERA_IDEMPOTENCY_TTL_MS: { type: 'integer', description: 'How long an Idempotency-Key is remembered.', default: 86400000, minimum: 1000 },
  ITINERA_RECORD_TTL_MS: { type: 'integer', description: 'How long message records (GET /messages/{id}) are kept in Redis.', default: 86400000, minimum: 1000 },
  ITINERA_MEMORY_RECORDS: {
    type: 'integer',
    description:
      'On the embedded transport: message records (GET /messages/{id}), faults and idempotency keys kept in memory, the newest first. Message records also keep to 2 KB of text per record on average (off the JS heap), the oldest accepted going first.',
    default: 10000,
    minimum: 100,
  },
  ITINERA_BAM_RETENTION_MS: {
    type: 'integer',
    description:
      'Business activity monitoring: how long an activity (milestones and tracked fields of one correlation id) is kept after its latest milestone; aggregates reach back this far. Redis: the TTL of activity keys and the age trim of the per-itinerary indexes.',
    default: 604800000,
    minimum: 60000,
  },
  ITINERA_BAM_MAX_ACTIVITIES: {
    type: 'integer',
    description:
      "Business activity monitoring: activities kept in memory (embedded transport), and entries of each itinerary's index in Redis; the oldest go first.",
    default: 100000,
    minimum: 100,
  },
  ITINERA_BAM_QUERY_MAX: {
    type: 'integer',
    description: 'Business activity monitoring: activities one GET /activities aggregate may cover; a larger range is refused with RANGE_TOO_LARGE.',
    default: 50000,
    minimum: 1,
  },
  ITINERA_SHUTDOWN_TIMEOUT_MS: { type: 'integer', description: 'Graceful shutdown deadline for in-flight work.', default: 10000, minimum: 0 },
  ITINERA_RETRY_AFTER_MS: { type: 'integer', description: '`retryAfterMs` sent to duplex clients in `closing` on shutdown.', default: 1000, minimum: 0 },
  ITINERA_ALLOW_EVICTION: { type: 'boolean', description: 'Start even when Redis maxmemory-policy is not `noeviction` (a warning is logged).', default: false },
  ITINERA_REDIS_PREFIX: {
    type: 'string',
    description:
      'Prefix of every Redis key. Single Redis and Sentinel: used as is, its `{…}` hash tag keeping every key in one slot. Redis Cluster: used without its braces, and each queue, session, record and fault gets its own hash tag.',
    default: '{itinera}',
  },
  ITINERA_ORDER_PARK_MS: {
    type: 'integer',
    description:
      "BullMQ: a session's message waiting for its turn is a delayed job that looks again after this long. The message before it wakes it at once; the timeout only matters after a worker died between a message's end and that wake-up.",
    default: 30000,
    minimum: 100,
  },
  ITINERA_WORK_QUEUE_SHARDS: {
    type: 'integer',
    description:
      'BullMQ: the work queue is split into this many BullMQ queues (`itinera.work`, `itinera.work.s1`, …), a message going to the shard of its session (else of its id), so a session stays in one shard and in order. On Redis Cluster each shard has its own hash tag: use 2–4× the masters so adding masters adds queue capacity. Drain the queue before changing it: jobs in shards beyond it are read by no worker (warned as QUEUE_SHARD_JOBS at start).',
    default: 1,
    minimum: 1,
    maximum: 64,
  },
  ITINERA_BULLMQ_LOCK_MS: {
    type: 'integer',
    description: 'BullMQ job lock: a worker that dies holding a job loses it after this long.',
    default: 30000,
    minimum: 100,
  },
  ITINERA_BULLMQ_STALLED_INTERVAL_MS: {
    type: 'integer',
    description: 'How often workers look for jobs whose worker died (stalled) and deliver them again.',
    default: 30000,
    minimum: 100,
  },
  ITINERA_ADMIN_TOKEN: {
    type: 'string',
    description:
      'Bearer token that opens the operator endpoints (`/faults`, definitions, `/metrics` when guarded). Unset: they need an operator credential (`role:operator`), and with ITINERA_AUTH=none they are open to everyone, for local use only.',
  },
  ITINERA_CONSOLE: {
    type: 'boolean',
    description:
      'The operator console at `/console/` on every gateway. The page itself holds no data: it asks for an operator credential (the admin token, an operator API key or JWT) and calls the operator endpoints with it. Off: `/console/` answers 404.',
    default: true,
  },
  ITINERA_OPERATOR_TOKENS: {
    type: 'string',
    description:
      'Named operator tokens, `alice=<token>,bob=sha256:<hex of SHA-256 of the token>`: each opens the operator endpoints like ITINERA_ADMIN_TOKEN (as `Authorization: Bearer <token>`), and the audit trail (`GET /audit`) names who acted. Kept hashed, compared in constant time; a token in clear has at least 16 characters.',
    examples: ['alice=3f9c0b…,bob=sha256:9b74c9…'],
  },
  ITINERA_OPERATOR_TOKENS_FILE: {
    type: 'string',
    description: 'File of named operator tokens, one `name=<token>` or `name=sha256:<hex>` a line (`#` comments), read at start; together with ITINERA_OPERATOR_TOKENS.',
  },
  ITINERA_AUDIT_MAX: { type: 'integer', description: 'Audit trail entries kept at most (the newest); memory, or Redis with the bullmq transport.', default: 100000, minimum: 100 },
  ITINERA_AUDIT_RETENTION_MS: { type: 'integer', description: 'How long an audit trail entry is kept (default 90 days).', default: 7776000000, minimum: 60000 },
  ITINERA_TRACE_DETAIL: {
    type: 'boolean',
    description:
      'Record trace detail for the operator console (`GET /messages/{id}`): why a step was skipped, the facts rules saw, a transform\'s body before and after (16 KB each at most, secrets masked). Unset: on with the memory transport, off with bullmq (it adds to every record written).',
  },
  ITINERA_NODE: { type: 'string', description: 'Name of this node in traces and logs (default host-pid).' },
  ITINERA_AUTH: {
    type: 'string',
    description:
      'Client identity: `none` (callers without a credential are the anonymous principal; for the embedded demo) or `required` (every on-ramp needs an API key or a JWT; UNAUTHORIZED 401 without).',
    default: 'none',
    enum: ['none', 'required'],
  },
  ITINERA_API_KEYS_FILE: {
    type: 'string',
    description:
      'JSON array of API keys `{ "name", "key" or "sha256", "scopes": [..], "roles"?: [..] }`, kept hashed. Re-read when it changes (removing an entry revokes that key).',
  },
  ITINERA_API_KEYS_RELOAD_MS: {
    type: 'integer',
    description: 'How often the API keys file is checked for changes; 0: read once at start.',
    default: 5000,
    minimum: 0,
  },
  ITINERA_JWT_JWKS_URL: { type: 'string', description: 'JWKS URL of the identity provider whose JWTs (`Authorization: Bearer`) are accepted.' },
  ITINERA_JWT_PUBLIC_KEY: { type: 'string', description: 'Instead of a JWKS URL: the one public key of accepted JWTs, SPKI PEM or a JWK as JSON.' },
  ITINERA_JWT_ISSUER: { type: 'string', description: 'Required JWT issuer (`iss`); must be set whenever JWTs are accepted (a JWKS URL or public key is set).' },
  ITINERA_JWT_AUDIENCE: {
    type: 'string',
    description: 'Required JWT audience (`aud`), comma-separated for several; must be set whenever JWTs are accepted, so tokens for other apps of a shared identity provider fail.',
  },
  ITINERA_JWT_CLOCK_SKEW_S: { type: 'integer', description: 'Clock tolerance for JWT `exp` and `nbf`, seconds.', default: 30, minimum: 0, maximum: 600 },
  ITINERA_QUEUE_TRUSTED: {
    type: 'boolean',
    description:
      'Trust the producers of queue on-ramps: a job without `credential` runs as the `trusted` principal `queue:<name>`. Off: with ITINERA_AUTH=required such a job is refused (kept as an UNAUTHORIZED fault).',
    default: false,
  },
  ITINERA_METRICS_AUTH: {
    type: 'string',
    description: '`open`: anyone may scrape /metrics. `operator`: /metrics needs an operator credential like /faults.',
    default: 'open',
    enum: ['open', 'operator'],
  },
  ITINERA_API_DOCS: {
    type: 'boolean',
    description:
      'Serve Swagger UI at /docs (the OpenAPI document is always at /openapi.json). Unset: on, except with NODE_ENV=production.',
  },
} satisfies ConfigSpec;

export interface BusConfig {
  port: number;
  host: string;
  transport: 'memory' | 'bullmq';
  redisUrl?: string;
  /** REDIS_CLUSTER_NODES: a Redis Cluster's seeds instead of REDIS_URL. */
  redisClusterNodes?: RedisNode[];
  /** REDIS_SENTINELS: Sentinels to ask for the master `redisSentinelName`, instead of REDIS_URL. */
  redisSentinels?: RedisNode[];
  redisSentinelName?: string;
  itinerariesDir: string;
  logLevel: string;
  logRedact: string[];
  /** NODE_ENV=production: the production checks apply (production-check.ts). */
  production: boolean;
  /** ITINERA_LOG_PRETTY; undefined: pretty on a terminal outside production. */
  logPretty?: boolean;
  /** ITINERA_OPEN_OPERATOR_ENDPOINTS: open operator endpoints accepted in production. */
  openOperatorEndpoints: boolean;
  heartbeatMs: number;
  pollTimeoutMs: number;
  sessionTtlMs: number;
  outboxLimit: number;
  outboxOverflow: 'fault' | 'drop-oldest';
  maxBodyBytes: number;
  maxFrameBytes: number;
  workerConcurrency: number;
  endpointConcurrency: number;
  endpointQueue: number;
  endpointQueueWaitMs: number;
  breakerFailures: number;
  breakerHalfOpenMs: number;
  deliveryAttempts: number;
  sendAllowList: string[];
  sendAllowPrivate: boolean;
  sendMaxResponseBytes: number;
  envFacts: Record<string, string>;
  rateLimit: number;
  wsMaxBufferedBytes: number;
  /** The settings the on-ramps declare (ON_RAMP_SPEC), by variable name; those not set are absent. */
  onRampSettings: Record<string, unknown>;
  sessionRate: number;
  sessionWindowS: number;
  maxSessionsPerPrincipal: number;
  maxSessionsPerAddress: number;
  messageRate: number;
  /** Proxies whose X-Forwarded-For is believed (ITINERA_TRUST_PROXY). */
  trustProxy: TrustProxy;
  recordMaxBytes: number;
  faultMaxBytes: number;
  allowedOrigins: string[];
  selectorPolicy: string;
  jsonataTimeoutMs: number;
  jsonataMaxDepth: number;
  jsonataMaxString: number;
  jsonataMaxItems: number;
  jsonataIsolation: 'none' | 'thread';
  jsonataWorkers: number;
  jsonataWorkerMemoryMb: number;
  idempotencyTtlMs: number;
  recordTtlMs: number;
  memoryRecords: number;
  bamRetentionMs: number;
  bamMaxActivities: number;
  bamQueryMax: number;
  shutdownTimeoutMs: number;
  retryAfterMs: number;
  allowEviction: boolean;
  redisPrefix: string;
  orderParkMs: number;
  /** ITINERA_WORK_QUEUE_SHARDS: BullMQ queues the work queue is split into. */
  workQueueShards: number;
  bullmqLockMs: number;
  bullmqStalledIntervalMs: number;
  node: string;
  /** Token the operator endpoints require (`Authorization: Bearer …`); unset: open. */
  adminToken?: string;
  /** Named operator tokens (ITINERA_OPERATOR_TOKENS) and their file (ITINERA_OPERATOR_TOKENS_FILE). */
  operatorTokens?: string;
  operatorTokensFile?: string;
  auditMax: number;
  auditRetentionMs: number;
  /** Trace detail for the console: skip reasons, rule facts, transform bodies (ITINERA_TRACE_DETAIL). */
  traceDetail: boolean;
  auth: 'none' | 'required';
  apiKeysFile?: string;
  apiKeysReloadMs: number;
  jwtJwksUrl?: string;
  jwtPublicKey?: string;
  jwtIssuer?: string;
  jwtAudience: string[];
  jwtClockSkewSec: number;
  queueTrusted: boolean;
  metricsAuth: 'open' | 'operator';
  /** ITINERA_API_DOCS: Swagger UI at /docs. */
  apiDocs?: boolean;
  /** ITINERA_CONSOLE: the operator console at /console/. */
  console?: boolean;
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Read and validate the configuration; throws CONFIG_INVALID listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<BusConfig> = {}): BusConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_SPEC)) if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  const { value: v, errors } = applySpec<Record<string, unknown>>(CONFIG_SPEC, raw, { coerceStrings: true, allowUnknown: false });
  const redisGiven = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].filter((k) => v[k] !== undefined);
  if (redisGiven.length > 1) {
    errors.push({ pointer: `/${redisGiven[1]}`, message: `give one of REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS, not ${redisGiven.join(' and ')}` });
  }
  if (v.ITINERA_TRANSPORT === 'bullmq' && redisGiven.length === 0 && !overrides.redisUrl && !overrides.redisClusterNodes) {
    errors.push({
      pointer: '/REDIS_URL',
      message: 'option "REDIS_URL" is required when ITINERA_TRANSPORT=bullmq, e.g. redis://127.0.0.1:6379 (or REDIS_CLUSTER_NODES, REDIS_SENTINELS)',
    });
  }
  const redisNodes = (key: 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS') => {
    if (v[key] === undefined) return undefined;
    try {
      return parseRedisNodes(v[key] as string, key);
    } catch (err) {
      errors.push({ pointer: `/${key}`, message: `${err instanceof Error ? err.message.replace(/^[A-Z_]+: /, '') : String(err)}` });
      return undefined;
    }
  };
  const redisClusterNodes = redisNodes('REDIS_CLUSTER_NODES');
  const redisSentinels = redisNodes('REDIS_SENTINELS');
  if (v.ITINERA_AUTH === 'required' && !v.ITINERA_API_KEYS_FILE && !v.ITINERA_JWT_JWKS_URL && !v.ITINERA_JWT_PUBLIC_KEY && !overrides.apiKeysFile) {
    errors.push({
      pointer: '/ITINERA_AUTH',
      message: 'is "required" but no credential source is set: give ITINERA_API_KEYS_FILE, ITINERA_JWT_JWKS_URL or ITINERA_JWT_PUBLIC_KEY',
    });
  }
  if ((v.ITINERA_JWT_JWKS_URL || v.ITINERA_JWT_PUBLIC_KEY) && !v.ITINERA_JWT_ISSUER) {
    errors.push({ pointer: '/ITINERA_JWT_ISSUER', message: 'is required when JWTs are accepted: give the issuer (iss) of the tokens for this bus' });
  }
  if ((v.ITINERA_JWT_JWKS_URL || v.ITINERA_JWT_PUBLIC_KEY) && !list((v.ITINERA_JWT_AUDIENCE as string | undefined) ?? '').length) {
    errors.push({ pointer: '/ITINERA_JWT_AUDIENCE', message: 'is required when JWTs are accepted: give the audience (aud) the tokens for this bus name' });
  }
  if (v.ITINERA_JWT_JWKS_URL && v.ITINERA_JWT_PUBLIC_KEY) {
    errors.push({ pointer: '/ITINERA_JWT_PUBLIC_KEY', message: 'give either ITINERA_JWT_JWKS_URL or ITINERA_JWT_PUBLIC_KEY, not both' });
  }
  // `*` is the written-out "any": it stands alone, so a list never widens by accident.
  for (const key of ['ITINERA_ALLOWED_ORIGINS', 'ITINERA_SEND_ALLOWLIST'] as const) {
    const entries = list((v[key] as string | undefined) ?? '');
    if (entries.includes('*') && entries.length > 1) errors.push({ pointer: `/${key}`, message: 'is "*" (any) or a list, not both: remove "*" or the other entries' });
  }
  if (parseTrustProxy(v.ITINERA_TRUST_PROXY as string) === undefined) {
    errors.push({ pointer: '/ITINERA_TRUST_PROXY', message: 'must be false, true, a hop count, or comma-separated IP addresses and CIDRs (e.g. 10.0.0.0/8,loopback)' });
  }
  if (errors.length) {
    const text = errors.map((e) => `${e.pointer.slice(1)}: ${e.message.replace(/^option "[^"]+"\s*/, '')}`).join('\n');
    throw new ItineraError('CONFIG_INVALID', `invalid configuration:\n${text}`, { details: errors });
  }
  const envFacts: Record<string, string> = {};
  for (const name of list(v.ITINERA_ENV_FACTS as string)) if (env[name] !== undefined) envFacts[name] = env[name]!;
  return {
    port: v.PORT as number,
    host: v.HOST as string,
    transport: v.ITINERA_TRANSPORT as 'memory' | 'bullmq',
    redisUrl: v.REDIS_URL as string | undefined,
    redisClusterNodes,
    redisSentinels,
    redisSentinelName: v.REDIS_SENTINEL_NAME as string,
    itinerariesDir: v.ITINERA_ITINERARIES as string,
    logLevel: v.ITINERA_LOG_LEVEL as string,
    logRedact: list(v.ITINERA_LOG_REDACT as string),
    production: v.NODE_ENV === 'production',
    logPretty: v.ITINERA_LOG_PRETTY as boolean | undefined,
    openOperatorEndpoints: v.ITINERA_OPEN_OPERATOR_ENDPOINTS as boolean,
    heartbeatMs: v.ITINERA_HEARTBEAT_MS as number,
    pollTimeoutMs: v.ITINERA_POLL_TIMEOUT_MS as number,
    sessionTtlMs: v.ITINERA_SESSION_TTL_MS as number,
    outboxLimit: v.ITINERA_OUTBOX_LIMIT as number,
    outboxOverflow: v.ITINERA_OUTBOX_OVERFLOW as 'fault' | 'drop-oldest',
    maxBodyBytes: v.ITINERA_MAX_BODY_BYTES as number,
    maxFrameBytes: v.ITINERA_MAX_FRAME_BYTES as number,
    workerConcurrency: v.ITINERA_WORKER_CONCURRENCY as number,
    endpointConcurrency: v.ITINERA_ENDPOINT_CONCURRENCY as number,
    endpointQueue: v.ITINERA_ENDPOINT_QUEUE as number,
    endpointQueueWaitMs: v.ITINERA_ENDPOINT_QUEUE_WAIT_MS as number,
    breakerFailures: v.ITINERA_BREAKER_FAILURES as number,
    breakerHalfOpenMs: v.ITINERA_BREAKER_HALF_OPEN_MS as number,
    deliveryAttempts: v.ITINERA_DELIVERY_ATTEMPTS as number,
    sendAllowList: list(v.ITINERA_SEND_ALLOWLIST as string),
    sendAllowPrivate: v.ITINERA_SEND_ALLOW_PRIVATE as boolean,
    sendMaxResponseBytes: v.ITINERA_SEND_MAX_RESPONSE_BYTES as number,
    envFacts,
    rateLimit: v.ITINERA_RATE_LIMIT as number,
    wsMaxBufferedBytes: v.ITINERA_WS_MAX_BUFFERED_BYTES as number,
    onRampSettings: Object.fromEntries(Object.keys(ON_RAMP_SPEC).flatMap((k) => (v[k] === undefined ? [] : [[k, v[k]]]))),
    sessionRate: v.ITINERA_SESSION_RATE as number,
    sessionWindowS: v.ITINERA_SESSION_RATE_WINDOW_S as number,
    maxSessionsPerPrincipal: v.ITINERA_MAX_SESSIONS_PER_PRINCIPAL as number,
    maxSessionsPerAddress: v.ITINERA_MAX_SESSIONS_PER_ADDRESS as number,
    messageRate: v.ITINERA_MESSAGE_RATE as number,
    trustProxy: parseTrustProxy(v.ITINERA_TRUST_PROXY as string)!,
    recordMaxBytes: v.ITINERA_RECORD_MAX_BYTES as number,
    faultMaxBytes: v.ITINERA_FAULT_MAX_BYTES as number,
    allowedOrigins: list(v.ITINERA_ALLOWED_ORIGINS as string),
    selectorPolicy: v.ITINERA_SELECTOR_POLICY as string,
    jsonataTimeoutMs: v.ITINERA_JSONATA_TIMEOUT_MS as number,
    jsonataMaxDepth: v.ITINERA_JSONATA_MAX_DEPTH as number,
    jsonataMaxString: v.ITINERA_JSONATA_MAX_STRING as number,
    jsonataMaxItems: v.ITINERA_JSONATA_MAX_ITEMS as number,
    jsonataIsolation: v.ITINERA_JSONATA_ISOLATION as 'none' | 'thread',
    jsonataWorkers: v.ITINERA_JSONATA_WORKERS as number,
    jsonataWorkerMemoryMb: v.ITINERA_JSONATA_WORKER_MEMORY_MB as number,
    idempotencyTtlMs: v.ITINERA_IDEMPOTENCY_TTL_MS as number,
    recordTtlMs: v.ITINERA_RECORD_TTL_MS as number,
    memoryRecords: v.ITINERA_MEMORY_RECORDS as number,
    bamRetentionMs: v.ITINERA_BAM_RETENTION_MS as number,
    bamMaxActivities: v.ITINERA_BAM_MAX_ACTIVITIES as number,
    bamQueryMax: v.ITINERA_BAM_QUERY_MAX as number,
    shutdownTimeoutMs: v.ITINERA_SHUTDOWN_TIMEOUT_MS as number,
    retryAfterMs: v.ITINERA_RETRY_AFTER_MS as number,
    allowEviction: v.ITINERA_ALLOW_EVICTION as boolean,
    redisPrefix: v.ITINERA_REDIS_PREFIX as string,
    orderParkMs: v.ITINERA_ORDER_PARK_MS as number,
    workQueueShards: v.ITINERA_WORK_QUEUE_SHARDS as number,
    bullmqLockMs: v.ITINERA_BULLMQ_LOCK_MS as number,
    bullmqStalledIntervalMs: v.ITINERA_BULLMQ_STALLED_INTERVAL_MS as number,
    node: (v.ITINERA_NODE as string | undefined) ?? `${hostname()}-${process.pid}`,
    adminToken: v.ITINERA_ADMIN_TOKEN as string | undefined,
    operatorTokens: v.ITINERA_OPERATOR_TOKENS as string | undefined,
    operatorTokensFile: v.ITINERA_OPERATOR_TOKENS_FILE as string | undefined,
    auditMax: v.ITINERA_AUDIT_MAX as number,
    auditRetentionMs: v.ITINERA_AUDIT_RETENTION_MS as number,
    traceDetail: (v.ITINERA_TRACE_DETAIL as boolean | undefined) ?? v.ITINERA_TRANSPORT === 'memory',
    auth: v.ITINERA_AUTH as 'none' | 'required',
    apiKeysFile: v.ITINERA_API_KEYS_FILE as string | undefined,
    apiKeysReloadMs: v.ITINERA_API_KEYS_RELOAD_MS as number,
    jwtJwksUrl: v.ITINERA_JWT_JWKS_URL as string | undefined,
    jwtPublicKey: v.ITINERA_JWT_PUBLIC_KEY as string | undefined,
    jwtIssuer: v.ITINERA_JWT_ISSUER as string | undefined,
    jwtAudience: list((v.ITINERA_JWT_AUDIENCE as string | undefined) ?? ''),
    jwtClockSkewSec: v.ITINERA_JWT_CLOCK_SKEW_S as number,
    queueTrusted: v.ITINERA_QUEUE_TRUSTED as boolean,
    metricsAuth: v.ITINERA_METRICS_AUTH as 'open' | 'operator',
    apiDocs: (v.ITINERA_API_DOCS as boolean | undefined) ?? env.NODE_ENV !== 'production',
    console: v.ITINERA_CONSOLE as boolean,
    ...overrides,
  };
}

/**
 * Where the bus's Redis is, from REDIS_CLUSTER_NODES, REDIS_SENTINELS or REDIS_URL (one
 * of them; loadConfig refuses more); undefined when none is set.
 */
export function redisEndpointOf(config: Pick<BusConfig, 'redisUrl' | 'redisClusterNodes' | 'redisSentinels' | 'redisSentinelName'>): RedisEndpoint | undefined {
  if (config.redisClusterNodes?.length) return { clusterNodes: config.redisClusterNodes };
  if (config.redisSentinels?.length) return { sentinels: config.redisSentinels, name: config.redisSentinelName ?? 'mymaster' };
  return config.redisUrl;
}
