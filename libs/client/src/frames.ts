/** The wire frames of the duplex contract (PROTOCOL.md), as the client sees them. */

// The published client owns the frames both sides share (the server's core re-exports them),
// so the package's declarations stand alone.

/** A callback: the itinerary calls the client back with `action` and `body`, numbered by `seq`. */
export interface CallbackFrame<Body = unknown, Action extends string = string> {
  type: 'callback';
  seq: number;
  action: Action;
  correlationId: string;
  body: Body;
  /** Client's id of the message that produced it, when known. */
  id?: string;
}

/** An accepted message whose itinerary failed for good. */
export interface FaultFrame {
  type: 'fault';
  seq: number;
  correlationId: string;
  error: { code: string; message: string; step?: string };
  id?: string;
}

export type OutboxFrame = CallbackFrame | FaultFrame;

/** The duplex `send` frame (client to server): `id` is the client's own id for the message. */
export interface SendFrame {
  type: 'send';
  id: string;
  itinerary: string;
  version?: string;
  action: string;
  body?: unknown;
  /** W3C trace context the message joins (`00-<trace id>-<parent id>-<flags>`); a malformed one is BAD_FRAME. */
  traceparent?: string;
  tracestate?: string;
}

/** The bus took the message (durably); `reply` is the answer of a request-response operation. */
export interface AcceptedFrame {
  type: 'accepted';
  id: string;
  messageId: string;
  correlationId: string;
  itinerary?: string;
  reply?: unknown;
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: { pointer: string; message: string }[];
}

export type ClosingReason = 'shutdown' | 'expired' | 'replaced' | 'ended';

export interface ClosingInfo {
  reason: ClosingReason;
  retryAfterMs?: number;
}

/** What a link learns when it starts or resumes a session. */
export interface Welcome {
  session: string;
  token: string;
  resumed: boolean;
  inactivityTimeoutMs?: number;
  heartbeatMs?: number;
  pollTimeoutMs?: number;
  maxFrameBytes?: number;
}

export interface ResumeInfo {
  session: string;
  token: string;
  /** Highest seq handled. */
  lastSeq: number;
}

/** Close codes the server uses (see the adapters README). */
export const SERVER_CLOSE = { bye: 1000, shutdown: 1001, expired: 4001, replaced: 4002, ended: 4003 } as const;
