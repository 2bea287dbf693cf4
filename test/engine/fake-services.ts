import { defineAdapter, defineStep, type ErrorDetail, type LoadCheckContext } from '@itinera/core';

/**
 * Stand-ins for the real step services and adapters, with the same names and
 * the same kind of specs and checks, so the loader's behaviour is tested on
 * its own.
 */
const refCheck =
  (field: string, exists: (ctx: LoadCheckContext, name: string) => boolean, what: string) =>
  (options: Record<string, unknown>, ctx: LoadCheckContext): ErrorDetail[] => {
    const name = options[field];
    return typeof name === 'string' && !exists(ctx, name) ? [{ pointer: `${ctx.pointer}/${field}`, message: `no ${what} "${name}"` }] : [];
  };

export const FAKE_SERVICES = [
  defineStep({
    name: 'transform',
    summary: 'JSONata map',
    spec: { map: { type: 'string', description: 'map name', required: true }, version: { type: 'string', description: 'map version' } },
    check: (o, ctx) =>
      typeof o.map === 'string' && !ctx.hasMap(o.map, o.version as string | undefined)
        ? [{ pointer: `${ctx.pointer}/map`, message: `no map "${o.map}" in maps/` }]
        : [],
    run: () => undefined,
  }),
  defineStep({
    name: 'validate',
    summary: 'JSON Schema',
    spec: { schema: { type: 'any', description: 'schema name or inline', required: true } },
    check: refCheck('schema', (ctx, n) => ctx.hasSchema(n), 'schema in schemas/'),
    run: () => undefined,
  }),
  defineStep({
    name: 'reply',
    summary: 'answer the caller',
    stages: ['receive'],
    spec: { body: { type: 'any', description: 'reply body' } },
    run: () => undefined,
  }),
  defineStep({
    name: 'send',
    summary: 'off-ramp',
    spec: {
      adapter: { type: 'string', description: 'adapter name', required: true },
      address: { type: 'string', description: 'where', required: true },
      timeoutMs: { type: 'integer', description: 'timeout', default: 5000, minimum: 1 },
    },
    check: refCheck('adapter', (ctx, n) => ctx.hasAdapter(n), 'send adapter'),
    run: () => undefined,
  }),
  defineStep({
    name: 'callback',
    summary: 'push to the session',
    stages: ['send'],
    spec: {
      name: { type: 'string', description: 'callback name', required: true },
      to: { type: 'string', description: 'caller or group', default: 'caller', enum: ['caller', 'group'] },
      body: { type: 'any', description: 'callback body' },
    },
    run: () => undefined,
  }),
  defineStep({
    name: 'invoke',
    summary: 'user TypeScript step',
    spec: { handler: { type: 'string', description: 'registered name', required: true } },
    check: refCheck('handler', (ctx, n) => ctx.hasInvokable(n), 'invokable'),
    run: () => undefined,
  }),
];

export const FAKE_ADAPTERS = ['http', 'queue'].map((name) => defineAdapter({ name, summary: name, spec: {}, send: async () => ({}) }));
