/**
 * The embedded baseline: the 3-step itinerary's work as plain function calls,
 * one message after another in one process. The same JSONata map (bench-to-canonical)
 * over the same facts, the same rules policy (bench-routing) on a json-rules-engine
 * Engine with the same data-only JSONPath resolver, and "send to a queue" as a
 * push of the queue job { action, headers, body } onto an array.
 *
 * Environment: BENCH_ITINERARIES (the folder holding maps/ and policies/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonata from 'jsonata';
import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import { JSONPath } from 'jsonpath-plus';
import { cpuSeconds, makeBody, serve } from './serve';

interface Policy {
  defaults: Record<string, unknown>;
  rules: { name: string; priority?: number; conditions: unknown; params: Record<string, unknown> }[];
}

serve(async () => {
  const dir = process.env.BENCH_ITINERARIES!;
  const map = jsonata(readFileSync(join(dir, 'maps/bench-to-canonical@1.0.0.jsonata'), 'utf8'));
  const policy = JSON.parse(readFileSync(join(dir, 'policies/bench-routing@1.0.0.json'), 'utf8')) as Policy;
  const engine = new Engine(
    policy.rules.map((r, index): RuleProperties => ({
      name: r.name,
      priority: r.priority ?? 1,
      conditions: r.conditions as TopLevelCondition,
      event: { type: 'fired', params: { index } },
    })),
    { allowUndefinedFacts: true, pathResolver: ((json: object, path: string) => JSONPath({ path, json, wrap: false, eval: false })) as never },
  );
  const queue: unknown[] = [];

  const one = async (body: unknown, i: number) => {
    const facts = {
      body,
      action: undefined,
      headers: {},
      context: {} as Record<string, unknown>,
      state: {},
      message: { id: `m-${i}`, correlationId: `m-${i}`, itinerary: 'bench-flow', version: '1.0.0' },
      session: undefined,
      env: {},
    };
    const canonical = await map.evaluate(facts);
    const result = await engine.run({ ...facts, body: canonical });
    const fired = result.results[0]?.event?.params as { index: number } | undefined;
    const params = fired ? policy.rules[fired.index].params : policy.defaults;
    const config = Object.fromEntries(
      String(params.config)
        .split('&')
        .map((kv) => kv.split('=')),
    );
    queue.push({ action: config.action, headers: { 'itinera-message-id': facts.message.id }, body: canonical });
    if (queue.length > 10_000) queue.length = 0;
  };

  return {
    info: {},
    handlers: {
      async drive(a: { n: number; bodyBytes: number }) {
        const template = makeBody(0, a.bodyBytes);
        const cpu0 = cpuSeconds();
        const t0 = performance.now();
        for (let i = 0; i < a.n; i++) await one({ ...template, id: `o-${i}`, amount: i % 3 === 0 ? 150 : 5 }, i);
        const totalMs = performance.now() - t0;
        return { n: a.n, publishMs: totalMs, totalMs, cpuS: cpuSeconds() - cpu0, faulted: 0 };
      },
    },
  };
});
