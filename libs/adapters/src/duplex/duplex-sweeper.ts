import { newId, type Envelope, type FaultRecord, type FaultStore, type Logger, type OutboxFrame, type SessionStore } from '@itinera/core';
import { registryFor } from './duplex-registry';

export interface SessionSweeperDeps {
  sessions: SessionStore;
  /** Where undelivered callbacks of expired sessions are recorded; without it they are only logged. */
  faults?: FaultStore;
  logger: Logger;
  /** Sweep interval. */
  everyMs: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface SessionSweeper {
  /** Run one sweep now; resolves with the number of sessions expired. */
  sweep(): Promise<number>;
  /** Stop the timer; waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** Name under which undelivered outbox frames are recorded as faults. */
export const SESSION_OUTBOX_ITINERARY = 'session-outbox';

/** An outbox frame that never reached its client, as a fault (nothing is dropped silently). */
export function expiredFrameFault(session: string, frame: OutboxFrame, at: Date): FaultRecord {
  const what = frame.type === 'callback' ? `callback ${frame.action}` : `fault ${frame.error.code}`;
  const envelope: Envelope = {
    id: newId(),
    correlationId: frame.correlationId,
    ...(frame.type === 'callback' ? { action: frame.action } : {}),
    body: frame,
    headers: {},
    context: { session, seq: frame.seq, frameType: frame.type },
    itinerary: { name: SESSION_OUTBOX_ITINERARY, version: '0.0.0', cursor: 0 },
    origin: { session, ...(frame.id !== undefined ? { clientMessageId: frame.id } : {}), transport: 'internal' },
    trace: [],
    createdAt: at.toISOString(),
  };
  return {
    id: newId(),
    messageId: envelope.id,
    correlationId: frame.correlationId,
    itinerary: `${SESSION_OUTBOX_ITINERARY}@0.0.0`,
    step: frame.type === 'callback' ? 'callback' : (frame.error.step ?? 'fault'),
    attempts: 1,
    error: {
      code: 'SESSION_EXPIRED',
      message: `Session ${session} expired before its client acknowledged ${what} (seq ${frame.seq}); the frame is kept here to inspect or resubmit.`,
    },
    envelope,
    at: at.toISOString(),
  };
}

/**
 * Expire idle sessions every `everyMs`: what they still had pending becomes
 * SESSION_EXPIRED faults (fault store and log), and their WebSocket clients on this
 * node get `closing` `expired` (held long polls answer with it).
 */
export function startSessionSweeper(deps: SessionSweeperDeps): SessionSweeper {
  const logger = deps.logger.child({ component: 'session-sweeper' });
  const now = deps.now ?? Date.now;
  const registry = registryFor(deps.sessions);
  let running: Promise<number> | undefined;
  let stopped = false;

  const run = async (): Promise<number> => {
    const expired = await deps.sessions.expireIdle(now());
    for (const { id, pending } of expired) {
      registry.end(id, 'expired');
      logger.info({ session: id, pending: pending.length }, 'duplex session expired');
      for (const frame of pending) {
        const fault = expiredFrameFault(id, frame, new Date(now()));
        logger.warn(
          { session: id, seq: frame.seq, correlationId: frame.correlationId, frame: frame.type, fault: fault.id, code: 'SESSION_EXPIRED' },
          'undelivered frame of an expired session recorded as a fault',
        );
        if (!deps.faults) continue;
        try {
          await deps.faults.add(fault);
        } catch (err) {
          logger.error({ session: id, seq: frame.seq, err }, 'could not record the undelivered frame as a fault (see the log line above)');
        }
      }
    }
    return expired.length;
  };

  const sweep = (): Promise<number> => {
    if (running) return running;
    running = run().finally(() => (running = undefined));
    return running;
  };

  const timer = setInterval(() => {
    if (stopped) return;
    sweep().catch((err) => logger.error({ err }, 'session sweep failed; retried on the next tick'));
  }, deps.everyMs);
  timer.unref();

  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
