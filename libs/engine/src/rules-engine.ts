import { Engine, type EngineResult, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import { JSONPath } from 'jsonpath-plus';
import type { Facts, PolicyDefinition } from '@itinera/core';
import { compileFastPolicy } from './rules.fast-path';

/** The fact names rules can test: the keys of core's `Facts`. */
export const FACT_NAMES = ['body', 'action', 'headers', 'context', 'state', 'message', 'session', 'env'] as const;

/**
 * JSONPath without script evaluation: rules are data only, so a `[?(...)]`
 * filter is refused instead of being run.
 */
function dataOnlyPath(value: object, path: string): unknown {
  // wrap: true and unwrapping here give what wrap: false gives, without jsonpath-plus
  // building an Error object to return a single value (about 10x slower).
  const found = JSONPath({ path, json: value, wrap: true, eval: false }) as unknown[];
  return found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
}

interface OperatorLookup {
  operators: { get(name: string): unknown; operators: Map<string, unknown>; decorators: Map<string, unknown> };
}

/** A json-rules-engine `Engine` that can run concurrently: runs are serialized. */
export class PolicyEngine {
  readonly key: string;
  private readonly engine: Engine;
  private tail: Promise<unknown> = Promise.resolve();
  /** The same decisions without the engine's promise chain, for policies in the common subset. */
  readonly fast: ((facts: Record<string, unknown>) => number[]) | undefined;

  constructor(readonly policy: PolicyDefinition) {
    this.key = `${policy.name}@${policy.version}`;
    this.engine = createEngine(policy.rules.map(toRuleProperties));
    this.fast = compileFastPolicy(policy);
  }

  /** Rule indices (document order) that fire, and each one's priority. */
  async fired(facts: Facts): Promise<{ index: number; priority: number }[]> {
    if (this.fast) {
      const runtime = factsRecord(facts);
      return this.fast(runtime).map((index) => ({ index, priority: this.policy.rules[index].priority ?? 1 }));
    }
    const result = await this.run(facts);
    return result.results.map((r) => ({ index: (r.event?.params as { index: number }).index, priority: r.priority ?? 1 }));
  }

  /**
   * Engine.run keeps its status on the engine: a run that finishes marks it
   * FINISHED and any other run still in flight skips its remaining priority
   * sets. So runs of one engine go one at a time (they do no I/O, so this is
   * cheap).
   */
  run(facts: Facts): Promise<EngineResult> {
    const runtime = factsRecord(facts);
    const result = this.tail.then(() => this.engine.run(runtime));
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function factsRecord(facts: Facts): Record<string, unknown> {
  const runtime: Record<string, unknown> = {};
  for (const name of FACT_NAMES) runtime[name] = facts[name];
  return runtime;
}

function createEngine(rules: RuleProperties[] = []): Engine {
  const engine = new Engine(rules, { allowUndefinedFacts: true, pathResolver: dataOnlyPath as (v: object, p: string) => unknown });
  // Beyond json-rules-engine's own operators: `exists` (value true) / absent (value false), e.g. an optional env fact.
  engine.addOperator('exists', (factValue: unknown, expected: unknown) => (factValue !== undefined && factValue !== null) === (expected !== false));
  return engine;
}

function toRuleProperties(rule: PolicyDefinition['rules'][number], index: number): RuleProperties {
  return {
    name: rule.name,
    priority: rule.priority ?? 1,
    conditions: rule.conditions as unknown as TopLevelCondition,
    // The index identifies the rule: names need not be unique, document order breaks ties.
    event: { type: 'fired', params: { index } },
  };
}

const probe = createEngine() as unknown as OperatorLookup;

/** Whether json-rules-engine knows `name` (decorated forms like `not:in` included). */
export function isKnownOperator(name: string): boolean {
  return probe.operators.get(name) != null;
}

export function knownOperators(): { operators: string[]; decorators: string[] } {
  return {
    operators: [...probe.operators.operators.keys()].filter((n) => !n.includes(':')),
    decorators: [...probe.operators.decorators.keys()],
  };
}

/** Why a JSONPath cannot be used in a rule, or undefined when it can. */
export function checkRulePath(path: string): string | undefined {
  if (/\?\s*\(|\(\s*@/.test(path)) {
    return `script filters are not allowed in rule paths (rules are data only): use a plain path such as "$.order.amount" and an operator like "in" or "contains", or an expression resolver`;
  }
  try {
    JSONPath({ path, json: {}, wrap: false, eval: false });
    return undefined;
  } catch (err) {
    return `invalid JSONPath: ${err instanceof Error ? err.message : String(err)}`;
  }
}
