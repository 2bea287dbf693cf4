import { defineStep } from '@itinera/core';
import { completed } from './shared/step-results';

export type DelayParams = {
  ms: number;
};

/** Longest in-process wait: a worker slot (and the session's ordering) is held meanwhile. */
export const MAX_DELAY_MS = 60_000;

/** Waits in the worker before the next step. */
export const delayStep = defineStep<DelayParams>({
  name: 'delay',
  summary: `Waits in the worker before the next step (after publication only, at most ${MAX_DELAY_MS} ms). The wait holds a worker slot and, for a session, the session's next message; for long delays hop to a queue (the step "queue" field) with a delayed job instead.`,
  stages: ['send'],
  spec: {
    ms: { type: 'integer', description: `Milliseconds to wait (0 to ${MAX_DELAY_MS}).`, required: true, minimum: 0, maximum: MAX_DELAY_MS, examples: [500] },
  },
  async run(ctx) {
    const ms = Math.min(Math.max(0, Number(ctx.params.ms) || 0), MAX_DELAY_MS);
    if (ms > 0) await new Promise<void>((resolve) => setTimeout(resolve, ms));
    return completed;
  },
});
