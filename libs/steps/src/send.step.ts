import { defineStep, joinPointer, type Endpoint, type OutboundMessage, type SendOutcome } from '@itinera/core';
import { ENDPOINT_CONTEXT, checkEndpointOptions } from './route.step';
import { buildPayload, checkPayload, payloadSpec } from './shared/payload';
import { checkTarget, parseTarget, targetHelp, writeTarget } from './shared/targets';
import { completed, faultFrom, faulted, PARAMS_INVALID } from './shared/step-results';

export type SendParams = {
  adapter?: string;
  address?: string;
  config?: string | Record<string, unknown>;
  map?: string;
  version?: string;
  expression?: string;
  resultTarget: string;
};

const RESULT_TARGETS = ['none', 'body', 'context'] as const;

/** The off-ramp: deliver through a send adapter. */
export const sendStep = defineStep<SendParams>({
  name: 'send',
  summary:
    'Delivers the message through a send adapter (the off-ramp): to the endpoint in its options, or else to the context property "endpoint" that a route step resolved. A map or expression can build the outgoing payload in the endpoint format without changing the envelope body. The idempotency key passed downstream is the step id, the same on every retry. Transient failures are retried per the step retry policy.',
  spec: {
    adapter: { type: 'string', description: 'Send adapter (with address); omitted: the endpoint a route step stored in the context.', examples: ['http'] },
    address: {
      type: 'string',
      description: 'Address for the adapter: a URL, a queue name. ${env:NAME} expands from the exposed env.',
      examples: ['http://localhost:4000/orders'],
    },
    config: { type: 'any', description: 'Adapter options: an object or "key=value&key=value".', examples: ['timeoutMs=2000&retries=2'] },
    ...payloadSpec(
      'the outgoing payload (the envelope body stays as it is)',
      { value: null, expression: '{ "sku": body.order.product, "qty": body.order.quantity }', map: 'canonical-to-warehouse' },
      { withValue: false },
    ),
    resultTarget: {
      type: 'string',
      description: `Where the response body goes: ${targetHelp(RESULT_TARGETS)}.`,
      default: 'none',
      examples: ['context.warehouseReceipt'],
    },
  },
  check(options, lc) {
    const errors = [...checkEndpointOptions(options, lc.pointer, (n) => lc.hasAdapter(n), lc.checkEndpoint), ...checkPayload(options, lc, ['expression', 'map'])];
    errors.push(...checkTarget(options.resultTarget, 'resultTarget', lc.pointer, RESULT_TARGETS));
    if ((options.adapter === undefined) !== (options.address === undefined)) {
      const missing = options.adapter === undefined ? 'adapter' : 'address';
      errors.push({
        pointer: lc.pointer + joinPointer(missing),
        message: `set "adapter" and "address" together (or neither, to use the endpoint a route step resolved)`,
      });
    }
    return errors;
  },
  async run(ctx) {
    const p = ctx.params;
    const target = parseTarget(p.resultTarget ?? 'none', RESULT_TARGETS);
    if (!target)
      return faulted(
        PARAMS_INVALID,
        `step "${ctx.step.id}": "resultTarget" must be one of ${targetHelp(RESULT_TARGETS)}, got ${JSON.stringify(p.resultTarget)}`,
      );
    const endpoint = endpointFor(p, ctx.envelope.context[ENDPOINT_CONTEXT]);
    if (typeof endpoint === 'string') return faulted(endpoint === 'partial' ? PARAMS_INVALID : 'NO_ENDPOINT', noEndpointMessage(ctx.step.id, endpoint));
    let outcome: SendOutcome;
    try {
      const body = await buildPayload(ctx, { map: p.map, version: p.version, expression: p.expression }, () => ctx.envelope.body);
      const message: OutboundMessage = { body, headers: {}, idempotencyKey: ctx.stepId, envelope: ctx.envelope, step: ctx.step.id };
      // This step's span is the parent downstream (traceparent).
      const traceContext = ctx.traceContext;
      if (traceContext) message.traceContext = traceContext;
      outcome = await ctx.runtime.adapters.send(endpoint, message);
    } catch (err) {
      return faultFrom(err, 'SEND_FAILED');
    }
    writeTarget(ctx, target, outcome.body);
    return completed;
  },
});

function endpointFor(p: SendParams, fromContext: unknown): Endpoint | 'partial' | 'none' | 'malformed' {
  if (p.adapter !== undefined || p.address !== undefined) {
    if (p.adapter === undefined || p.address === undefined) return 'partial';
    return p.config === undefined ? { adapter: p.adapter, address: p.address } : { adapter: p.adapter, address: p.address, config: p.config };
  }
  if (fromContext === undefined || fromContext === null) return 'none';
  const e = fromContext as Partial<Endpoint>;
  if (typeof fromContext !== 'object' || typeof e.adapter !== 'string' || typeof e.address !== 'string') return 'malformed';
  return e as Endpoint;
}

function noEndpointMessage(step: string, why: 'partial' | 'none' | 'malformed'): string {
  if (why === 'partial') return `step "${step}": set "adapter" and "address" together, or neither to use the endpoint a route step resolved`;
  if (why === 'malformed') return `step "${step}": the context property "${ENDPOINT_CONTEXT}" is not an endpoint { adapter, address, config? }`;
  return `step "${step}" has no endpoint: give it "adapter" and "address", or run a route step before it`;
}
