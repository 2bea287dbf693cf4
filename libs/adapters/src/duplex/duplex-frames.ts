import { ItineraError, type ErrorDetail } from '@itinera/core';
import { retryAfterOf } from '../limits/on-ramp-limits';

/** The WebSocket subprotocol of the duplex contract. */
export const DUPLEX_SUBPROTOCOL = 'itinera.v1';

export interface HelloFrame {
  type: 'hello';
  session?: string;
  token?: string;
  lastSeq?: number;
  /** An API key or a JWT (ITINERA_AUTH=required). */
  credential?: string;
}

export type { SendFrame } from '@itinera/core';
import type { SendFrame } from '@itinera/core';

export interface AckFrame {
  type: 'ack';
  seq: number;
}

export type ClientFrame = HelloFrame | SendFrame | AckFrame | { type: 'ping' } | { type: 'bye' };

export type ClosingReason = 'shutdown' | 'expired' | 'replaced' | 'ended';

/**
 * Close codes used by the WebSocket on-ramp. 1xxx are RFC 6455; 4xxx are ours, so a
 * client can tell "reconnect" from "do not".
 */
export const CLOSE_CODES = {
  /** After `bye`: the session is over. */
  bye: 1000,
  /** Server shutting down (`closing` `shutdown`): reconnect after `retryAfterMs`. */
  shutdown: 1001,
  /** Repeated binary frames. */
  unsupported: 1003,
  /** Repeated malformed frames. */
  invalid: 1007,
  /** No `hello` within two heartbeats. */
  policy: 1008,
  /** A frame larger than `maxFrameBytes`. */
  tooLarge: 1009,
  /** `closing` `expired`: the session timed out; start a new one. */
  expired: 4001,
  /** `closing` `replaced`: the session was resumed on another connection; do not reconnect. */
  replaced: 4002,
  /** `closing` `ended`: the session was ended (bye / DELETE) from another connection. */
  ended: 4003,
  /**
   * The client did not read: more than `maxBufferedBytes` waited to be sent. The session
   * lives on (nothing unacknowledged is lost): read faster, then resume with hello.
   */
  slowConsumer: 4008,
} as const;

/** Longest client message id accepted. */
export const MAX_CLIENT_ID_LENGTH = 200;

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; error: ItineraError; id?: string };

/** Frame types a client may send (the AsyncAPI document, libs/adapters/src/asyncapi.json, describes each). */
export const CLIENT_FRAME_TYPES = ['hello', 'send', 'ack', 'ping', 'bye'] as const;
/** Frame types the server sends on a duplex session. */
export const SERVER_FRAME_TYPES = ['welcome', 'accepted', 'error', 'callback', 'fault', 'closing', 'pong'] as const;

const KNOWN = new Set<string>(CLIENT_FRAME_TYPES);

function badFrame(message: string, details: ErrorDetail[]): ItineraError {
  return new ItineraError('BAD_FRAME', message, { details });
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The client's `id`, when the frame has a usable one (so an error can name it). */
export function clientIdOf(v: unknown): string | undefined {
  return isObject(v) && isNonEmptyString(v.id) && v.id.length <= MAX_CLIENT_ID_LENGTH ? v.id : undefined;
}

/**
 * Check the fields of a message sent to an itinerary (WebSocket `send` frame or a
 * long-polling `POST …/messages` body). Returns the errors, one per field.
 */
export function checkSendFields(v: Record<string, unknown>): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  if (!isNonEmptyString(v.id) || v.id.length > MAX_CLIENT_ID_LENGTH) {
    errors.push({ pointer: '/id', message: `must be a non-empty string of at most ${MAX_CLIENT_ID_LENGTH} characters (your own id for this message)` });
  }
  if (!isNonEmptyString(v.itinerary)) errors.push({ pointer: '/itinerary', message: 'must be the name of a deployed itinerary' });
  if (v.version !== undefined && !isNonEmptyString(v.version))
    errors.push({ pointer: '/version', message: 'must be a version string like "1.2.0", or be left out for the latest' });
  if (!isNonEmptyString(v.action)) errors.push({ pointer: '/action', message: 'must be the operation name, e.g. "AddTo"' });
  // traceparent/tracestate are not checked here: an invalid one is ignored, as on the HTTP on-ramp (acceptDuplexSend).
  return errors;
}

function checkFrame(v: Record<string, unknown>): ItineraError | undefined {
  switch (v.type) {
    case 'hello': {
      const errors: ErrorDetail[] = [];
      if (v.session !== undefined && !isNonEmptyString(v.session)) errors.push({ pointer: '/session', message: 'must be the session id from `welcome`' });
      if (v.token !== undefined && typeof v.token !== 'string') errors.push({ pointer: '/token', message: 'must be the token from `welcome`' });
      if (v.credential !== undefined && typeof v.credential !== 'string')
        errors.push({ pointer: '/credential', message: 'must be a string: an API key or a JWT' });
      if (v.lastSeq !== undefined && !isSeq(v.lastSeq))
        errors.push({ pointer: '/lastSeq', message: 'must be a non-negative integer: the highest seq you have handled' });
      if (v.session === undefined && (v.token !== undefined || v.lastSeq !== undefined)) {
        errors.push({ pointer: '/session', message: 'is required to resume (token and lastSeq go with a session); send {"type":"hello"} to start a new one' });
      }
      return errors.length ? badFrame('Malformed hello frame; see errors.', errors) : undefined;
    }
    case 'send': {
      const errors = checkSendFields(v);
      return errors.length ? badFrame('Malformed send frame; see errors.', errors) : undefined;
    }
    case 'ack':
      return isSeq(v.seq)
        ? undefined
        : badFrame('Malformed ack frame: seq must be a non-negative integer.', [{ pointer: '/seq', message: 'must be a non-negative integer' }]);
    default:
      return undefined;
  }
}

/** Parse one text frame. Errors carry the codes INVALID_JSON, BAD_FRAME and UNKNOWN_FRAME_TYPE. */
export function parseClientFrame(text: string): ParsedFrame {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: new ItineraError('INVALID_JSON', `The frame is not valid JSON (${(err as Error).message}); send one JSON object per text frame.`),
    };
  }
  if (!isObject(v)) {
    return { ok: false, error: badFrame('A frame must be a JSON object with a "type".', [{ pointer: '', message: 'must be an object' }]) };
  }
  const id = clientIdOf(v);
  if (typeof v.type !== 'string') {
    return { ok: false, id, error: badFrame('The frame has no "type"; use hello, send, ack, ping or bye.', [{ pointer: '/type', message: 'is required' }]) };
  }
  if (!KNOWN.has(v.type)) {
    return {
      ok: false,
      id,
      error: new ItineraError('UNKNOWN_FRAME_TYPE', `Unknown frame type "${v.type.slice(0, 40)}"; use hello, send, ack, ping or bye.`, {
        details: [{ pointer: '/type', message: 'must be one of hello, send, ack, ping, bye' }],
      }),
    };
  }
  const error = checkFrame(v);
  if (error) return { ok: false, id, error };
  return { ok: true, frame: v as unknown as ClientFrame };
}

/** `{ type: 'error', id?, error: { code, message, details?, retryAfterMs? } }`; INTERNAL never leaks its message. */
export function errorFrame(err: ItineraError, id?: string): Record<string, unknown> {
  const error =
    err.code === 'INTERNAL'
      ? { code: 'INTERNAL', message: 'The bus failed to handle this frame; retry later, and if it persists see the server log.' }
      : { ...err.toJSON(), ...(retryAfterOf(err) !== undefined ? { retryAfterMs: retryAfterOf(err) } : {}) };
  return id === undefined ? { type: 'error', error } : { type: 'error', id, error };
}
