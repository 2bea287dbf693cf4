/** The wire frames of the duplex contract (PROTOCOL.md), as the client sees them. */

// One definition of the shared frames, in core; type-only, so nothing of core reaches the browser bundle.
export type { CallbackFrame, FaultFrame, OutboxFrame, SendFrame } from '@itinera/core';

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
