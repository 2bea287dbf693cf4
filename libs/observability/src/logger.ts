import { createRequire } from 'node:module';
import pino from 'pino';
import { redactSecrets, redactText, type Logger } from '@itinera/core';
import { mergeTraceLogFields, traceLogFields } from './tracing';

export interface LoggerOptions {
  level?: string;
  /** Field names redacted wherever they appear in logged bodies (one level deep and nested). */
  redact?: string[];
  /** Extra bindings on every line (role, node). */
  base?: Record<string, unknown>;
  /** Write here instead of stdout (tests). */
  destination?: NodeJS.WritableStream;
  /** Human-readable lines through pino-pretty when it is installed (a dev dependency); JSON otherwise. */
  pretty?: boolean;
}

const DEFAULT_REDACT = ['password', 'token', 'authorization', 'secret', 'apiKey'];

/**
 * pino JSON logs. Bodies appear only at debug level (before/after each transform);
 * the configured field names are censored there, at any depth pino's redaction can
 * express (`before.x`, `before.*.x`, `after.x`, `after.*.x`, …).
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const fields = [...new Set([...DEFAULT_REDACT, ...(opts.redact ?? [])])];
  const paths: string[] = [];
  for (const root of ['before', 'after', 'body', 'reply']) {
    for (const f of fields) paths.push(`${root}.${f}`, `${root}.*.${f}`, `${root}.*.*.${f}`);
  }
  paths.push('headers.authorization', 'req.headers.authorization');
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { ...(opts.base ?? {}) },
    redact: { paths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Last line of defence: URLs with credentials or secret parameters, and secret-named fields, are masked on every line:
    // in the fields (plain objects; trace decisions arrive already masked), the message, errors and child bindings.
    formatters: { level: (label) => ({ level: label }), log: (obj) => redactSecrets(obj), bindings: (b) => redactSecrets(b) },
    serializers: { err: redactError },
    hooks: { logMethod: redactLogArgs },
    // trace_id and span_id of the active span (an OpenTelemetry SDK registered) on every line.
    mixin: traceLogFields,
    mixinMergeStrategy: mergeTraceLogFields,
  };
  const pretty = opts.pretty ? prettyStream(opts.destination) : undefined;
  if (pretty) return maskChildBindings(pino(options, pretty)) as unknown as Logger;
  if (opts.destination) return maskChildBindings(pino(options, opts.destination as pino.DestinationStream)) as unknown as Logger;
  // Asynchronous writes to stdout (fast on the hot path), flushed synchronously on shutdown:
  // a signal-driven exit does not run pino's own exit handler.
  const dest = pino.destination({ dest: 1, sync: false });
  const logger = maskChildBindings(pino(options, dest)) as unknown as Logger;
  logger.flush = (cb?: (err?: Error) => void) => {
    try {
      dest.flushSync();
      cb?.();
    } catch (err) {
      cb?.(err as Error);
    }
  };
  return logger;
}

/**
 * pino-pretty, written synchronously in this thread (no transport worker), or undefined
 * where it is not installed: a production install (`npm ci --omit=dev`) never needs it.
 */
function prettyStream(destination?: NodeJS.WritableStream): pino.DestinationStream | undefined {
  let pretty: (o: object) => pino.DestinationStream;
  try {
    pretty = createRequire(__filename)('pino-pretty') as typeof pretty;
  } catch {
    return undefined;
  }
  const colorize = destination === undefined && process.stdout.isTTY === true;
  return pretty({ colorize, sync: true, destination: destination ?? 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,node', singleLine: true });
}

/** Pretty lines for people: ITINERA_LOG_PRETTY when set, else on a terminal outside production. */
export function wantsPrettyLogs(setting: boolean | undefined, production: boolean, isTTY = process.stdout.isTTY === true): boolean {
  return setting ?? (isTTY && !production);
}

/**
 * pino's error serializer (message and stack with their causes), masked. Its output is
 * not a plain object, so it is copied into one for `redactSecrets`, nested errors too.
 */
export function redactError(err: unknown, depth = 0): unknown {
  const s = pino.stdSerializers.err(err as Error) as unknown;
  if (s === err || s === null || typeof s !== 'object' || depth > 8) return redactSecrets(s);
  const plain: Record<string, unknown> = {};
  for (const k of Object.keys(s)) {
    const v = (s as Record<string, unknown>)[k];
    plain[k] = k === 'aggregateErrors' && Array.isArray(v) ? v.map((e) => redactError(e, depth + 1)) : isSerializedError(v) ? redactError(v, depth + 1) : v;
  }
  return redactSecrets(plain);
}

function isSerializedError(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype && 'stack' in v && 'message' in v;
}

/**
 * The message string (and %s arguments) masked before pino formats the line. An error logged
 * without a message lends pino its raw message: the masked one is passed instead.
 */
function redactLogArgs(this: pino.Logger, args: unknown[], method: (...a: unknown[]) => void): void {
  const first = args[0];
  if (args.length === 1 && first !== null && typeof first === 'object') {
    const err = first instanceof Error ? first : (first as { err?: unknown; msg?: unknown }).msg === undefined ? (first as { err?: unknown }).err : undefined;
    if (err instanceof Error) return method.call(this, first, redactText(err.message));
  }
  let copy: unknown[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a !== 'string') continue;
    const r = redactText(a);
    if (r !== a) (copy ??= args.slice())[i] = r;
  }
  return method.apply(this, copy ?? args);
}

/** pino applies `formatters.bindings` to the root's base only: a child's bindings are masked here (children inherit it). */
function maskChildBindings(root: pino.Logger): pino.Logger {
  type ChildFn = (this: unknown, bindings: pino.Bindings, options?: unknown) => unknown;
  const child = root.child as unknown as ChildFn;
  const masked: ChildFn = function (this: unknown, bindings, options) {
    return child.call(this, redactSecrets(bindings), options);
  };
  root.child = masked as unknown as typeof root.child;
  return root;
}
