import type { AcceptedFrame, ClosingInfo, OutboxFrame, ResumeInfo, SendFrame, Welcome } from './frames';

/** `tcp` is Node only (the bus's ITINERA_TCP_PORT). */
export type TransportName = 'websocket' | 'long-polling' | 'tcp';

/** Why a link stopped. */
export interface LinkLoss {
  /** The server announced it (`closing`), with when to come back. */
  closing?: ClosingInfo;
  /** WebSocket close code, when there was a socket. */
  code?: number;
  /** The server no longer knows the session (expired / ended / bad token). */
  sessionGone?: boolean;
  message: string;
}

/** What a link reports to the client. */
export interface LinkEvents {
  /** Callback and fault frames, in the order received; resolves once handled. */
  frames(frames: OutboxFrame[]): Promise<void>;
  closing(info: ClosingInfo): void;
  /** The link is gone (not called after the client's own close()). */
  lost(loss: LinkLoss): void;
  /** Highest seq handled so far (long polling sends it as `after`). */
  lastSeq(): number;
}

/**
 * One connection to the bus over one transport. The client owns the session and
 * reconnects; a link only starts/resumes it, carries sends, and reports frames.
 */
export interface Link {
  readonly transport: TransportName;
  /** Start (no `resume`) or resume the session. Rejects with ItineraClientError. */
  open(resume?: ResumeInfo): Promise<Welcome>;
  /** Rejects with ItineraClientError: the server's code, CONNECTION_LOST, or NOT_SENT. */
  send(frame: SendFrame): Promise<AcceptedFrame>;
  /** Acknowledge up to `seq` (long polling acknowledges with its next poll instead). */
  ack(seq: number): void;
  /** `end`: end the session for good (bye / DELETE); otherwise just disconnect. */
  close(end: boolean): Promise<void>;
}
