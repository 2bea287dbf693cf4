import { defineStep, ItineraError, joinPointer } from '@itinera/core';
import { faulted, PARAMS_INVALID } from './shared/step-results';

export type FaultParams = {
  code: string;
  message?: string;
};

const CODE = /^[A-Z][A-Z0-9_]*$/;

/** Stops the itinerary with a fault of a chosen code (used with `when`). */
export const faultStep = defineStep<FaultParams>({
  name: 'fault',
  summary:
    'Faults the message with a code and message of your choosing, usually guarded by "when" (for example DIVIDE_BY_ZERO when body.n = 0). The fault is recorded and, for a duplex session, sent as a fault frame. It is never retried.',
  spec: {
    code: { type: 'string', description: 'Stable upper-snake error code clients can test for.', required: true, examples: ['DIVIDE_BY_ZERO'] },
    message: { type: 'string', description: 'What went wrong and what to do about it.', examples: ['cannot divide by zero: send a non-zero n'] },
  },
  check(options, lc) {
    if (typeof options.code === 'string' && !CODE.test(options.code)) {
      return [
        { pointer: lc.pointer + joinPointer('code'), message: `"code" must be upper-snake case such as DIVIDE_BY_ZERO, got ${JSON.stringify(options.code)}` },
      ];
    }
    return [];
  },
  run(ctx) {
    const { code, message } = ctx.params;
    if (typeof code !== 'string' || !CODE.test(code))
      return faulted(PARAMS_INVALID, `step "${ctx.step.id}": "code" must be upper-snake case, got ${JSON.stringify(code)}`);
    return { outcome: 'faulted', error: new ItineraError(code, message ?? `step "${ctx.step.id}" stopped the itinerary with ${code}`) };
  },
});
