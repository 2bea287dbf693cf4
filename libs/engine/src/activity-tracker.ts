import {
  isoNow,
  toItineraError,
  type ActivityStore,
  type Envelope,
  type Expressions,
  type Facts,
  type Logger,
  type ResolverDecision,
  type StepDefinition,
} from '@itinera/core';

/** What the tracker needs: where activities go, how expressions run, where warnings go. */
export interface ActivityTrackerDeps {
  store: ActivityStore;
  expressions: Pick<Expressions, 'evaluate'>;
  logger: Logger;
  now?: () => string;
}

/**
 * Business activity monitoring: when a step with `track` completes, its fields are
 * evaluated over the step's facts (and `$decision`, the step's resolver decision)
 * and a milestone event is recorded under the message's correlation id. Tracking
 * never fails a message: a failing field is recorded as missing, a store that
 * cannot be reached loses the event; both are logged as warnings.
 */
export class ActivityTracker {
  constructor(private readonly deps: ActivityTrackerDeps) {}

  async completed(envelope: Envelope, step: StepDefinition, facts: Facts, decision?: ResolverDecision): Promise<void> {
    const track = step.track;
    if (!track) return;
    const at = (this.deps.now ?? isoNow)();
    const fields: Record<string, unknown> = {};
    const missing: string[] = [];
    const bindings = decision ? { decision } : undefined;
    for (const [name, source] of Object.entries(track.fields ?? {})) {
      try {
        const value = await this.deps.expressions.evaluate(source, facts, bindings);
        if (value === undefined) missing.push(name);
        else fields[name] = plain(value);
      } catch (err) {
        missing.push(name);
        this.warn(
          envelope,
          step,
          { field: name, error: toItineraError(err, 'EXPRESSION_FAILED').toJSON() },
          'a tracked field could not be evaluated; recorded as missing',
        );
      }
    }
    try {
      await this.deps.store.record({
        correlationId: envelope.correlationId,
        itinerary: envelope.itinerary.name,
        milestone: track.milestone,
        at,
        messageId: envelope.id,
        fields,
        ...(missing.length ? { missing } : {}),
      });
    } catch (err) {
      this.warn(envelope, step, { error: toItineraError(err).toJSON() }, 'a milestone could not be recorded; the message goes on');
    }
  }

  private warn(envelope: Envelope, step: StepDefinition, extra: object, msg: string): void {
    this.deps.logger.warn(
      {
        messageId: envelope.id,
        correlationId: envelope.correlationId,
        itinerary: envelope.itinerary.name,
        step: step.id,
        milestone: step.track?.milestone,
        ...extra,
      },
      msg,
    );
  }
}

/** JSONata sequences carry extra properties: what is stored is plain JSON. */
function plain(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
}
