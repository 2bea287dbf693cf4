/**
 * The orders sample written by hand: what a team would build without the bus, with
 * the same libraries, as one Fastify server. POST /itineraries/orders/messages checks
 * the action, validates with ajv (itineraries/schemas/create-order.json), maps with
 * JSONata (order-to-canonical), answers `true` and queues the order in process; a
 * worker (concurrency as the bus's) numbers the order, decides it with
 * json-rules-engine (order-decision: rule, or the default JSONata expression), routes
 * it (order-routing), maps it (order-to-endpoint) and queues it for fulfilment; a
 * second worker (concurrency 4, as the order-fulfilment on-ramp) logs it with pino.
 * A bounded map keeps each order's status, as a team answering "where is my order" would.
 *
 * Environment: BENCH_SAMPLES (the itineraries folder), BENCH_CONCURRENCY (16),
 * BENCH_LOG_LEVEL (warn, as the bus in the benchmark).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import Fastify from 'fastify';
import jsonata from 'jsonata';
import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import { JSONPath } from 'jsonpath-plus';
import pino from 'pino';
import { cpuSeconds, serve } from '../children/serve';
import { WorkQueue } from './work-queue';

interface Policy {
  defaults: Record<string, unknown>;
  rules: { name: string; priority?: number; conditions: unknown; params: Record<string, unknown> }[];
}

interface OrderJob {
  id: string;
  canonical: { order: { product: number; quantity: number; customer: number } };
}

const MAX_RECORDS = 100_000;

/** A policy as a json-rules-engine Engine; `first` mode: the highest-priority rule that fires, else the defaults. */
function policyEngine(dir: string, name: string): (facts: Record<string, unknown>) => Promise<Record<string, unknown>> {
  const policy = JSON.parse(readFileSync(join(dir, `policies/${name}@1.0.0.json`), 'utf8')) as Policy;
  const engine = new Engine(
    policy.rules.map((r, index): RuleProperties => ({
      name: r.name,
      priority: r.priority ?? 1,
      conditions: r.conditions as TopLevelCondition,
      event: { type: 'fired', params: { index } },
    })),
    { allowUndefinedFacts: true, pathResolver: ((json: object, path: string) => JSONPath({ path, json, wrap: false, eval: false })) as never },
  );
  // The one operator the samples use that json-rules-engine lacks, as the bus defines it.
  engine.addOperator('exists', (a: unknown, b: unknown) => (a !== undefined && a !== null) === (b !== false));
  return async (facts) => {
    const { results } = await engine.run(facts);
    const fired = results[0]?.event?.params as { index: number } | undefined;
    return fired ? policy.rules[fired.index].params : policy.defaults;
  };
}

serve(async () => {
  const dir = process.env.BENCH_SAMPLES!;
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
  const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(join(dir, 'schemas/create-order.json'), 'utf8')) as object);
  const toCanonical = jsonata(readFileSync(join(dir, 'maps/order-to-canonical@1.0.0.jsonata'), 'utf8'));
  const toEndpoint = jsonata(readFileSync(join(dir, 'maps/order-to-endpoint@1.0.0.jsonata'), 'utf8'));
  const decide = policyEngine(dir, 'order-decision');
  const route = policyEngine(dir, 'order-routing');
  const decisionDefaults = JSON.parse(readFileSync(join(dir, 'policies/order-decision@1.0.0.json'), 'utf8')) as Policy;
  const defaultBody = jsonata(String(decisionDefaults.defaults.expression));
  const env = { ORDERS_ENDPOINT_URL: process.env.ORDERS_ENDPOINT_URL };
  const records = new Map<string, { status: string; orderId?: number; outcome?: string }>();
  let completed = 0;

  const fulfilment = new WorkQueue<Record<string, unknown>>(4, async (order) => {
    logger.info({ queue: 'orders.fulfilment', orderId: order.orderId }, 'order fulfilled');
    completed++;
  });
  const orders = new WorkQueue<OrderJob>(concurrency, async ({ id, canonical }) => {
    const context = { orderId: createHash('sha256').update(id).digest().readUInt32BE(0) & 0x7fffffff };
    const facts = { body: canonical, context, headers: {}, env, message: { id, correlationId: id } };
    const decision = await decide(facts);
    const body = 'value' in decision ? decision.value : await defaultBody.evaluate(facts);
    const target = await route(facts);
    const out = (await toEndpoint.evaluate(facts)) as Record<string, unknown>;
    if (target.adapter !== 'queue') throw new Error(`the baseline sends to the queue only (got ${String(target.adapter)})`);
    records.set(id, { status: 'completed', orderId: context.orderId, outcome: `${String(decision.action)} ${JSON.stringify(body)}` });
    fulfilment.push(out);
    completed++;
  });

  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  app.post('/itineraries/orders/messages', async (req, reply) => {
    if (req.headers['itinera-action'] !== 'CreateOrder') return reply.code(400).send({ code: 'UNKNOWN_ACTION' });
    if (!validate(req.body)) return reply.code(400).send({ code: 'VALIDATION_FAILED', errors: validate.errors });
    const id = randomUUID();
    const canonical = (await toCanonical.evaluate({ body: req.body, headers: req.headers })) as OrderJob['canonical'];
    if (records.size >= MAX_RECORDS) records.delete(records.keys().next().value!);
    records.set(id, { status: 'accepted' });
    orders.push({ id, canonical });
    return reply.header('itinera-correlation-id', id).header('itinera-message-id', id).code(200).send(true);
  });
  app.get('/messages/:id', async (req, reply) => {
    const r = records.get((req.params as { id: string }).id);
    return r ? r : reply.code(404).send({ code: 'NOT_FOUND' });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    info: { url: `http://127.0.0.1:${port}` },
    handlers: {
      counts: () => ({
        completed,
        faulted: orders.failed + fulfilment.failed,
        cpuS: cpuSeconds(),
        lastError: String(orders.lastError ?? fulfilment.lastError ?? ''),
      }),
      cpu: () => cpuSeconds(),
    },
    cleanup: () => app.close(),
  };
});
