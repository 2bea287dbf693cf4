import { defineStep, ItineraError, joinPointer, type StepResult } from '@itinera/core';
import { completed, faulted } from './shared/step-results';

export type InvokeParams = {
  name: string;
  options: Record<string, unknown>;
};

/** The extension point for user code: a TypeScript step registered under a name. */
export const invokeStep = defineStep<InvokeParams>({
  name: 'invoke',
  summary:
    'Runs a TypeScript step the application registered under a name (runtime.invokables): the extension point for user code. The handler gets the full step context (envelope, facts, state, runtime) with its own "options" in ctx.params.options, and returns a step result (completed, faulted, terminated) or nothing (completed). A thrown ItineraError keeps its code (and is retried when transient); anything else thrown faults with INVOKE_FAILED.',
  spec: {
    name: { type: 'string', description: 'Name the handler was registered under.', required: true, examples: ['reserve-stock'] },
    options: { type: 'object', description: 'Free-form options handed to the handler as ctx.params.options.', default: {}, examples: [{ warehouse: 'north' }] },
  },
  check(options, lc) {
    if (typeof options.name === 'string' && !lc.hasInvokable(options.name)) {
      return [
        {
          pointer: lc.pointer + joinPointer('name'),
          message: `no invokable step "${options.name}" is registered: register it with the bus (invokables) or fix the name`,
        },
      ];
    }
    return [];
  },
  async run(ctx) {
    const handler = ctx.runtime.invokables.get(ctx.params.name);
    if (!handler) {
      const known = [...ctx.runtime.invokables.keys()];
      return faulted('INVOKABLE_NOT_FOUND', `no invokable step "${ctx.params.name}" is registered; known: ${known.length ? known.join(', ') : '(none)'}`);
    }
    let result: StepResult | void;
    try {
      result = await handler.run(ctx);
    } catch (err) {
      if (err instanceof ItineraError) throw err;
      throw new ItineraError('INVOKE_FAILED', `invoked step "${ctx.params.name}" threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return result ?? completed;
  },
});
