import { defineStep, joinPointer, type ErrorDetail } from '@itinera/core';
import { buildPayload, checkPayload, payloadSpec } from './shared/payload';
import { describeValue, noSession, sessionOf } from './shared/targets';
import { completed, faultFrom, faulted, PARAMS_INVALID } from './shared/step-results';

export type SessionParams = {
  op: 'join' | 'leave' | 'set' | 'merge' | 'clear';
  group?: string;
  value?: unknown;
  expression?: string;
  map?: string;
  version?: string;
};

/** The session service: groups and per-session state (WCF's PerSession instance). */
export const sessionStep = defineStep<SessionParams>({
  name: 'session',
  summary:
    'Works on the originating duplex session: join or leave a group, replace (set) or shallow-merge (merge) its per-session state with a value, expression or map, or clear the state. The state is what the facts show as "state" and is saved when the step completes. Faults NO_SESSION when the message has no session.',
  spec: {
    op: {
      type: 'string',
      description: 'join / leave: membership of "group"; set: replace the state; merge: merge into the state (top-level keys); clear: empty the state.',
      required: true,
      enum: ['join', 'leave', 'set', 'merge', 'clear'],
      examples: ['merge'],
    },
    group: { type: 'string', description: 'Group to join or leave (op join / leave).', examples: ['chat'] },
    ...payloadSpec('the new state, an object (op set / merge)', {
      value: { result: 0, equation: '0' },
      expression: '{ "result": state.result + body.n }',
      map: 'calculator-add',
    }),
  },
  check(options, lc) {
    const errors: ErrorDetail[] = checkPayload(options, lc);
    const op = options.op;
    const hasPayload = ['value', 'expression', 'map'].some((k) => options[k] !== undefined);
    if ((op === 'join' || op === 'leave' || op === 'clear') && hasPayload) {
      errors.push({ pointer: lc.pointer + joinPointer('op'), message: `op "${op}" takes no value, expression or map` });
    }
    if ((op === 'set' || op === 'merge' || op === 'clear') && options.group !== undefined) {
      errors.push({ pointer: lc.pointer + joinPointer('group'), message: `"group" applies to op join and leave, not "${op}"` });
    }
    return errors;
  },
  async run(ctx) {
    const p = ctx.params;
    const session = sessionOf(ctx);
    if (!session) return faultFrom(noSession(ctx, `${p.op} ${p.op === 'join' || p.op === 'leave' ? `group "${p.group}"` : 'its state'}`), 'NO_SESSION');
    try {
      switch (p.op) {
        case 'join':
        case 'leave': {
          if (!p.group) return faulted(PARAMS_INVALID, `step "${ctx.step.id}": op "${p.op}" needs "group"`);
          await (p.op === 'join' ? ctx.runtime.sessions.join(p.group, session) : ctx.runtime.sessions.leave(p.group, session));
          return completed;
        }
        case 'clear':
          ctx.state.set({});
          return completed;
        case 'set':
        case 'merge': {
          const missing = Symbol('missing');
          const next = await buildPayload(ctx, p, () => missing);
          if (next === missing) return faulted(PARAMS_INVALID, `step "${ctx.step.id}": op "${p.op}" needs one of "value", "expression" or "map"`);
          if (next === null || typeof next !== 'object' || Array.isArray(next)) {
            return faulted('STATE_INVALID', `step "${ctx.step.id}" produced ${describeValue(next)} for the session state, which must be a JSON object`);
          }
          ctx.state.set(p.op === 'merge' ? { ...ctx.state.get(), ...(next as Record<string, unknown>) } : (next as Record<string, unknown>));
          return completed;
        }
        default:
          return faulted(PARAMS_INVALID, `step "${ctx.step.id}": unknown op ${JSON.stringify(p.op)}; use join, leave, set, merge or clear`);
      }
    } catch (err) {
      return faultFrom(err, 'SESSION_FAILED');
    }
  },
});
