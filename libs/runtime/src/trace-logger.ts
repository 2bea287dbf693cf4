import type { Envelope, Logger, TraceEntry } from '@itinera/core';
import type { Metrics } from '@itinera/observability';
import type { RunObserver } from '@itinera/engine';

/**
 * Every step is traced: one structured log line per step (message id,
 * correlation id, itinerary@version, step, service, stage, resolver decision,
 * duration, outcome), and at debug level the body before and after transforms.
 */
export class TraceLogger implements RunObserver {
  private readonly debug: boolean;

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.debug = logger.isLevelEnabled?.('debug') ?? false;
  }

  step(envelope: Envelope, entry: TraceEntry, extra: { before?: unknown; after?: unknown; span?: { traceId: string; spanId?: string } }): void {
    this.metrics.step(envelope.itinerary.name, entry.step, entry.outcome, entry.durationMs);
    const faulted = entry.outcome === 'faulted';
    // The line is built only when it will be written (a faulted step logs at warn).
    if (!(this.logger.isLevelEnabled?.(faulted ? 'warn' : 'info') ?? true)) return;
    const line: Record<string, unknown> = {
      messageId: envelope.id,
      correlationId: envelope.correlationId,
      itinerary: `${envelope.itinerary.name}@${envelope.itinerary.version}`,
      step: entry.step,
      service: entry.service,
      stage: entry.stage,
      attempt: entry.attempt,
      durationMs: entry.durationMs,
      outcome: entry.outcome,
    };
    if (envelope.principal) line.principal = envelope.principal.id;
    // The step's trace (also without an SDK, when a traceparent came in); its span id only when the span records.
    if (extra.span) {
      line.trace_id = extra.span.traceId;
      if (extra.span.spanId !== undefined) line.span_id = extra.span.spanId;
    }
    if (entry.resolver) line.decision = entry.resolver;
    if (entry.error) line.error = entry.error;
    if (this.debug && extra.before !== undefined) {
      line.before = extra.before;
      line.after = extra.after;
    }
    if (faulted) this.logger.warn(line, 'step');
    else this.logger.info(line, 'step');
  }
}
