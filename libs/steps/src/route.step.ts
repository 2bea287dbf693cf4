import { defineStep, joinPointer, type Endpoint, type ErrorDetail, type LoadCheckContext } from '@itinera/core';
import { completed, faultFrom, faulted, PARAMS_INVALID } from './shared/step-results';

export type RouteParams = {
  adapter: string;
  address: string;
  config?: string | Record<string, unknown>;
};

/** Context property the route step writes and the send step reads. */
export const ENDPOINT_CONTEXT = 'endpoint';

/** The routing service: resolve the endpoint (usually through a rules policy) for a later send. */
export const routeStep = defineStep<RouteParams>({
  name: 'route',
  summary:
    'Resolves the endpoint a later send step delivers to, like the ESB routing service: adapter, address and config (usually decided by a rules resolver) are checked by the adapter provider (unknown adapter or key, bad value, address outside the allow-list: a fault) and stored as decided in the context property "endpoint". The address may use ${env:NAME} for exposed environment variables; the config is an object or "key=value&key=value".',
  spec: {
    adapter: { type: 'string', description: 'Send adapter: http, queue, ws, log, or any registered adapter.', required: true, examples: ['http'] },
    address: {
      type: 'string',
      description: 'Where the adapter delivers: a URL for http/ws, a queue name for queue. ${env:NAME} expands from the exposed env.',
      required: true,
      examples: ['${env:ORDERS_ENDPOINT_URL}'],
    },
    config: {
      type: 'any',
      description: 'The adapter\'s options, as an object or the ESB string form "key=value&key=value" (values coerced to the declared types).',
      examples: ['method=POST&timeoutMs=2000'],
    },
  },
  check(options, lc) {
    return checkEndpointOptions(options, lc.pointer, (n) => lc.hasAdapter(n), lc.checkEndpoint);
  },
  run(ctx) {
    const { adapter, address, config } = ctx.params;
    if (typeof adapter !== 'string' || typeof address !== 'string') {
      return faulted(PARAMS_INVALID, `step "${ctx.step.id}": the route service needs "adapter" and "address" (from its options or its resolver)`);
    }
    const endpoint: Endpoint = config === undefined ? { adapter, address } : { adapter, address, config };
    try {
      // Checked now, so a bad decision faults at the route step that made it, not at a later send.
      ctx.runtime.adapters.resolve?.(endpoint, joinPointer('steps', ctx.stepIndex, 'options'));
    } catch (err) {
      return faultFrom(err, 'ENDPOINT_INVALID');
    }
    // Stored as decided, placeholders unexpanded: the context shows in GET /messages/{id},
    // and the values of ${env:NAME} stay out of it. The send step resolves it again.
    ctx.envelope.context[ENDPOINT_CONTEXT] = endpoint;
    return completed;
  },
});

/** Load-time checks shared with the send step: a known adapter, a config of the right shape. */
export function checkEndpointOptions(
  options: Record<string, unknown>,
  pointer: string,
  hasAdapter: (name: string) => boolean,
  checkEndpoint?: LoadCheckContext['checkEndpoint'],
): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  if (typeof options.adapter === 'string' && !hasAdapter(options.adapter)) {
    errors.push({ pointer: pointer + joinPointer('adapter'), message: `unknown adapter "${options.adapter}"` });
  }
  const c = options.config;
  if (c !== undefined && typeof c !== 'string' && (c === null || typeof c !== 'object' || Array.isArray(c))) {
    errors.push({ pointer: pointer + joinPointer('config'), message: '"config" must be an object or a "key=value&key=value" string' });
  } else if (checkEndpoint && errors.length === 0) {
    // The config against the adapter's own spec, as the adapter provider checks it at run time.
    errors.push(...checkEndpoint(options, pointer));
  }
  return errors;
}
