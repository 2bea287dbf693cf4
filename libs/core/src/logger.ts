import type { Envelope } from './envelope';

/** The subset of pino's logger the libs use, so libs stay testable without pino. */
export interface Logger {
  level: string;
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  fatal(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled?(level: string): boolean;
  /** Write out buffered lines (pino writes asynchronously). */
  flush?(cb?: (err?: Error) => void): void;
}

/** The ids on every log line about a message, named as on the step lines: one search finds all of a message's lines. */
export interface MessageLogFields {
  messageId: string;
  correlationId: string;
  /** `name@version` */
  itinerary: string;
  step?: string;
  /**
   * The W3C trace the message belongs to. No span id: without an OpenTelemetry SDK the only
   * one known is the caller's, not a span of this line; with an SDK the logger adds the active span's.
   */
  trace_id?: string;
}

export function messageLogFields(envelope: Pick<Envelope, 'id' | 'correlationId' | 'itinerary' | 'traceContext'>, step?: string): MessageLogFields {
  const fields: MessageLogFields = {
    messageId: envelope.id,
    correlationId: envelope.correlationId,
    itinerary: `${envelope.itinerary.name}@${envelope.itinerary.version}`,
  };
  if (step !== undefined) fields.step = step;
  const traceparent = envelope.traceContext?.traceparent;
  if (traceparent) {
    // `00-<trace id>-<parent id>-<flags>`, checked at the on-ramp.
    fields.trace_id = traceparent.slice(3, 35);
  }
  return fields;
}

const noop = () => undefined;
export const silentLogger: Logger = {
  level: 'silent',
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => silentLogger,
  isLevelEnabled: () => false,
};
