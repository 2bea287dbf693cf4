/** An error the client reports: a stable upper-snake `code` (the server's, or the client's own). */
export class ItineraClientError extends Error {
  readonly code: string;
  readonly details?: { pointer: string; message: string }[];
  /** HTTP status when the error came from an HTTP answer. */
  readonly status?: number;

  constructor(code: string, message: string, opts: { details?: { pointer: string; message: string }[]; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    if (opts.details) this.details = opts.details;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/**
 * Codes the client itself uses (the server's codes, like ITINERARY_NOT_FOUND or
 * DIVIDE_BY_ZERO, come through unchanged).
 */
export const CLIENT_ERROR_CODES = {
  /** The connection dropped after the message was written: it may or may not have been accepted. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** close() was called, or the session ended, before the message went out. */
  CLIENT_CLOSED: 'CLIENT_CLOSED',
  /** No answer within the send's timeout (it may still be accepted). */
  TIMEOUT: 'TIMEOUT',
  /** Could not reach the bus with the chosen transport. */
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** The link went away before this message was written (the client sends it again on the next link). */
  NOT_SENT: 'NOT_SENT',
} as const;
