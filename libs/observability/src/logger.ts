import pino from 'pino';
import { redactSecrets, type Logger } from '@itinera/core';

export interface LoggerOptions {
  level?: string;
  /** Field names redacted wherever they appear in logged bodies (one level deep and nested). */
  redact?: string[];
  /** Extra bindings on every line (role, node). */
  base?: Record<string, unknown>;
  /** Write here instead of stdout (tests). */
  destination?: NodeJS.WritableStream;
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
    // Last line of defence: URLs with credentials or secret parameters, and secret-named fields, are masked on every line.
    formatters: { level: (label) => ({ level: label }), log: (obj) => redactSecrets(obj) },
  };
  if (opts.destination) return pino(options, opts.destination as pino.DestinationStream) as unknown as Logger;
  // Asynchronous writes to stdout (fast on the hot path), flushed synchronously on shutdown:
  // a signal-driven exit does not run pino's own exit handler.
  const dest = pino.destination({ dest: 1, sync: false });
  const logger = pino(options, dest) as unknown as Logger;
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
