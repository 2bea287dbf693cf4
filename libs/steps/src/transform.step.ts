import { defineStep } from '@itinera/core';
import { buildPayload, checkPayload, payloadSpec } from './shared/payload';
import { checkTarget, parseTarget, targetHelp, writeTarget } from './shared/targets';
import { completed, faultFrom, faulted, PARAMS_INVALID } from './shared/step-results';

export type TransformParams = {
  map?: string;
  version?: string;
  expression?: string;
  target: string;
};

const TARGETS = ['body', 'state', 'context'] as const;

/** The transformation service: a JSONata map (or inline expression) over the facts. */
export const transformStep = defineStep<TransformParams>({
  name: 'transform',
  summary:
    'Transforms with JSONata: a named map from maps/ (pinned with version) or an inline expression, over the facts { body, action, headers, context, state, message, session, env }. The result replaces the target: the body (default), the session state, or a context property. Use it before publication to reach the canonical format and after it to reach an endpoint format.',
  spec: {
    ...payloadSpec(
      'the new value of the target',
      { value: null, expression: '{ "order": { "product": body.productId, "quantity": body.amount } }', map: 'order-to-canonical' },
      { withValue: false },
    ),
    target: {
      type: 'string',
      description: `What the result replaces: ${targetHelp(TARGETS)}. The session state must come out as an object.`,
      default: 'body',
      examples: ['context.canonical'],
    },
  },
  check(options, lc) {
    return [...checkPayload(options, lc, ['expression', 'map']), ...checkTarget(options.target, 'target', lc.pointer, TARGETS)];
  },
  async run(ctx) {
    const p = ctx.params;
    if ((p.map === undefined) === (p.expression === undefined)) {
      return faulted(
        PARAMS_INVALID,
        `step "${ctx.step.id}": the transform service needs exactly one of "map" (a map in maps/) or "expression" (inline JSONata)`,
      );
    }
    const target = parseTarget(p.target ?? 'body', TARGETS);
    if (!target) return faulted(PARAMS_INVALID, `step "${ctx.step.id}": "target" must be one of ${targetHelp(TARGETS)}, got ${JSON.stringify(p.target)}`);
    try {
      const out = await buildPayload(ctx, { map: p.map, version: p.version, expression: p.expression }, () => undefined);
      writeTarget(ctx, target, out);
      return completed;
    } catch (err) {
      return faultFrom(err, 'TRANSFORM_FAILED');
    }
  },
});
