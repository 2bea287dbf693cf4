/**
 * Every error a user can see carries a stable upper-snake `code`, a message that
 * says what to do, and where it applies a file and a JSON pointer.
 */
export interface ErrorDetail {
  /** JSON pointer (RFC 6901) into the document the error applies to. */
  pointer: string;
  message: string;
  /** File the pointer applies to, when the error comes from a file. */
  file?: string;
  /** What kind of problem it is, for scripts (`itinera validate --json`): INVALID_JSON, ITINERARY_INVALID… */
  code?: string;
}

/** HTTP status for each code that can reach a client. */
export const ERROR_STATUS: Record<string, number> = {
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  INVALID_CURSOR: 400,
  NOT_SUPPORTED: 501,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  /** A TCP duplex frame declared a length above ITINERA_TCP_MAX_FRAME_BYTES (the connection is closed). */
  FRAME_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  INVALID_IDEMPOTENCY_KEY: 400,
  ITINERARY_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  FAULT_NOT_FOUND: 404,
  /** No activity (BAM) for that correlation id: none tracked, or past retention. */
  ACTIVITY_NOT_FOUND: 404,
  /** An activity query names a milestone or tracked field no deployed itinerary declares. */
  UNKNOWN_MILESTONE: 400,
  UNKNOWN_TRACKED_FIELD: 400,
  /** An activity query's bucket is not `<n>s|m|h|d`, or its range holds too many buckets or activities. */
  BAD_BUCKET: 400,
  RANGE_TOO_LARGE: 400,
  SESSION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  UNKNOWN_ACTION: 422,
  NO_ITINERARY_MATCHED: 422,
  FACT_MISSING: 422,
  FACT_TYPE_MISMATCH: 422,
  VALIDATION_FAILED: 422,
  /** A map or expression built more than its size limits from the body (ITINERA_JSONATA_MAX_*). */
  EXPRESSION_LIMIT: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  IDEMPOTENCY_CONFLICT: 409,
  FAULT_NOT_RESUBMITTABLE: 409,
  RATE_LIMITED: 429,
  TRANSPORT_UNAVAILABLE: 503,
  /** A send endpoint refused the call: its calls are all busy (ENDPOINT_BUSY) or its circuit is open (CIRCUIT_OPEN). */
  ENDPOINT_BUSY: 503,
  CIRCUIT_OPEN: 503,
  /** The identity provider's keys (JWKS) cannot be fetched. */
  AUTH_UNAVAILABLE: 503,
  REDIS_OUT_OF_MEMORY: 503,
  SHUTTING_DOWN: 503,
  TIMEOUT: 504,
  UNSUPPORTED_SUBPROTOCOL: 400,
  BAD_FRAME: 400,
  UNKNOWN_FRAME_TYPE: 400,
  UNSUPPORTED_FRAME: 400,
  HELLO_REQUIRED: 400,
  ENDPOINT_INVALID: 422,
  /** A dual-HTTP session's callbackUrl is not allowed (scheme, credentials, allow-list, or an address the SSRF guard refuses). */
  CALLBACK_URL_REFUSED: 422,
  STEP_PARAMS_INVALID: 500,
  INVALID_TRANSPORT_OPTIONS: 500,
  INTERNAL: 500,
};

export class ItineraError extends Error {
  readonly code: string;
  readonly details?: ErrorDetail[];
  /** Whether retrying the same operation may succeed (network, timeouts). */
  readonly transient: boolean;

  constructor(code: string, message: string, opts: { details?: ErrorDetail[]; transient?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = opts.details;
    this.transient = opts.transient ?? false;
  }

  get status(): number {
    return ERROR_STATUS[this.code] ?? 500;
  }

  toJSON(): { code: string; message: string; details?: ErrorDetail[] } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** Turn anything thrown into an ItineraError without losing its message. */
export function toItineraError(err: unknown, fallbackCode = 'INTERNAL'): ItineraError {
  if (err instanceof ItineraError) return err;
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const e = err as { code: string; message?: string };
    if (/^[A-Z][A-Z0-9_]+$/.test(e.code)) return new ItineraError(e.code, e.message ?? e.code, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ItineraError(fallbackCode, message, { cause: err });
}

/** `file: /pointer: message` lines, as start-up and `itinera validate` print them. */
export function formatDetails(details: ErrorDetail[]): string {
  return details.map((d) => `${d.file ? `${d.file}: ` : ''}${d.pointer || '/'}: ${d.message}`).join('\n');
}

/** Escape one JSON-pointer token (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function joinPointer(...tokens: (string | number)[]): string {
  return tokens.length === 0 ? '' : '/' + tokens.map(pointerToken).join('/');
}
