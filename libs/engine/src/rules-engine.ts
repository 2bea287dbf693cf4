import { Engine, Fact, type EngineResult, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import { JSONPath } from 'jsonpath-plus';
import type { Facts, PolicyDefinition } from '@itinera/core';
import { compileFastPolicy } from './rules.fast-path';
import { MISSING, missingMode, ruleOperators, RuleTypeError, RunIssues, type Read, type ReadSite } from './rules.operators';

/** The fact names rules can test: the keys of core's `Facts`. */
export const FACT_NAMES = ['body', 'action', 'headers', 'context', 'state', 'message', 'session', 'env', 'principal'] as const;

/** Condition param naming the read site; decorators every condition is wrapped in (internal names). */
const SITE = '__itineraSite';
const READ = '__itineraRead';
const PRESENCE = '__itineraPresence';

/**
 * JSONPath without script evaluation: rules are data only, so a `[?(...)]`
 * filter is refused instead of being run. Nothing found is MISSING.
 */
function dataOnlyPath(value: unknown, path: string): Read {
  if (path === '$') return value === undefined ? MISSING : value;
  if (value === undefined || value === null) return MISSING;
  // wrap: true and unwrapping here give what wrap: false gives, without jsonpath-plus
  // building an Error object to return a single value (about 10x slower).
  const found = JSONPath({ path, json: value as object, wrap: true, eval: false }) as unknown[] | undefined;
  return !found || found.length === 0 ? MISSING : found.length === 1 ? found[0] : found;
}

/** A fact's value as one condition reads it: which read site, and the run's issue list. */
class FactBox {
  constructor(
    readonly value: unknown,
    readonly site: number,
    readonly run: RunIssues,
  ) {}
}

/** What a read site found: the value or MISSING. */
class Reading {
  constructor(
    readonly value: Read,
    readonly site: number,
    readonly run: RunIssues,
  ) {}
}

/**
 * json-rules-engine's own path handling ignores the path on a non-object fact
 * (a bare `42` body "has" `$.a.b.c`): every fact is boxed, so this resolver
 * always runs and says when nothing is there.
 */
function resolvePath(box: object, path: string): unknown {
  const b = box as FactBox;
  return new Reading(dataOnlyPath(b.value, path), b.site, b.run);
}

/** A json-rules-engine `Engine` for one policy that can run concurrently: runs are serialized. */
export class PolicyEngine {
  readonly key: string;
  private readonly engine: Engine;
  private readonly sites: ReadSite[];
  private readonly factNames: string[];
  private tail: Promise<unknown> = Promise.resolve();
  /** The same decisions without the engine's promise chain, for policies in the common subset. */
  readonly fast: ((facts: Facts) => number[]) | undefined;

  constructor(readonly policy: PolicyDefinition) {
    this.key = `${policy.name}@${policy.version}`;
    const compiled = compileRules(policy);
    this.sites = compiled.sites;
    this.factNames = [...new Set([...FACT_NAMES, ...compiled.facts])];
    this.engine = createEngine(compiled.rules, policy.coerce === true);
    addReadDecorators(this.engine);
    this.fast = compileFastPolicy(policy);
  }

  /** Rule indices (document order) that fire, and each one's priority; throws FACT_MISSING / FACT_TYPE_MISMATCH. */
  async fired(facts: Facts): Promise<{ index: number; priority: number }[]> {
    if (this.fast) return this.fast(facts).map((index) => ({ index, priority: this.policy.rules[index].priority ?? 1 }));
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
    const issues = new RunIssues(this.sites);
    const runtime: Record<string, Fact> = {};
    for (const name of this.factNames) {
      const value = (facts as unknown as Record<string, unknown>)[name];
      runtime[name] = new Fact(name, (params: Record<string, unknown>) => new FactBox(value, params[SITE] as number, issues), { cache: false });
    }
    const result = this.tail
      .then(() => this.engine.run(runtime))
      .then((r) => {
        issues.check(this.key);
        return r;
      });
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * The policy's rules as json-rules-engine runs them: every fact condition gets
 * a path (`$` for the whole fact), its read site as a fact param, and the
 * READ decorator (PRESENCE for `exists`) outermost on its operator.
 */
function compileRules(policy: PolicyDefinition): { rules: RuleProperties[]; sites: ReadSite[]; facts: Set<string> } {
  const sites: ReadSite[] = [];
  const facts = new Set<string>();
  const site = (rule: string, fact: string, path: string, c: Record<string, unknown>) =>
    sites.push({ rule, fact, path, missing: missingMode(c, policy.missing) }) - 1;
  const rewrite = (node: unknown, rule: string): unknown => {
    if (!node || typeof node !== 'object') return node;
    const c = node as Record<string, unknown>;
    if (Array.isArray(c.all)) return { ...c, all: c.all.map((x) => rewrite(x, rule)) };
    if (Array.isArray(c.any)) return { ...c, any: c.any.map((x) => rewrite(x, rule)) };
    if ('not' in c) return { ...c, not: rewrite(c.not, rule) };
    if (typeof c.fact !== 'string' || typeof c.operator !== 'string') return node;
    facts.add(c.fact);
    const path = typeof c.path === 'string' && c.path !== '' ? c.path : '$';
    const { missing: _own, ...rest } = c;
    const out: Record<string, unknown> = { ...rest, path, params: { ...(c.params as object), [SITE]: site(rule, c.fact, path, c) } };
    out.operator = `${c.operator.split(':').at(-1) === 'exists' ? PRESENCE : READ}:${c.operator}`;
    const v = c.value;
    if (v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, 'fact')) {
      const ref = v as Record<string, unknown>;
      const refPath = typeof ref.path === 'string' && ref.path !== '' ? ref.path : '$';
      if (typeof ref.fact === 'string') facts.add(ref.fact);
      out.value = { ...ref, path: refPath, params: { ...(ref.params as object), [SITE]: site(rule, String(ref.fact), refPath, c) } };
    }
    return out;
  };
  const rules = policy.rules.map((rule, index) => ({
    name: rule.name,
    priority: rule.priority ?? 1,
    conditions: rewrite(rule.conditions, rule.name) as TopLevelCondition,
    // The index identifies the rule: names need not be unique, document order breaks ties.
    event: { type: 'fired', params: { index } },
  }));
  return { rules, sites, facts };
}

/** An engine with the strict (or coercing) operators in place of json-rules-engine's own. */
function createEngine(rules: RuleProperties[] = [], coerce = false): Engine {
  const engine = new Engine(rules, { allowUndefinedFacts: true, pathResolver: resolvePath as (v: object, p: string) => unknown });
  for (const [name, fn] of Object.entries(ruleOperators(coerce))) engine.addOperator(name, fn);
  // The array decorators fail on a non-array instead of silently not matching.
  const array = (name: string, v: unknown): unknown[] => {
    if (!Array.isArray(v)) throw new RuleTypeError(`"${name}:" needs an array, got ${v === null ? 'null' : typeof v}`);
    return v;
  };
  type Next = (a: unknown, b: unknown) => boolean;
  engine.addOperatorDecorator('someFact', (a: unknown, b: unknown, next: Next) => array('someFact', a).some((x) => next(x, b)));
  engine.addOperatorDecorator('everyFact', (a: unknown, b: unknown, next: Next) => array('everyFact', a).every((x) => next(x, b)));
  engine.addOperatorDecorator('someValue', (a: unknown, b: unknown, next: Next) => array('someValue', b).some((x) => next(a, x)));
  engine.addOperatorDecorator('everyValue', (a: unknown, b: unknown, next: Next) => array('everyValue', b).every((x) => next(a, x)));
  return engine;
}

/** The outermost decorators: a missing read fails the condition (noted in `error` mode); `exists` sees it as undefined. */
function addReadDecorators(engine: Engine): void {
  const wrap =
    (presence: boolean) =>
    (left: unknown, right: unknown, next: (a: unknown, b: unknown) => boolean): boolean => {
      const l = left as Reading;
      let a = l.value;
      let b = right;
      if (right instanceof Reading) {
        b = right.value;
        if (b === MISSING && !presence) return l.run.missing(right.site);
        if (b === MISSING) b = undefined;
      }
      if (a === MISSING && !presence) return l.run.missing(l.site);
      if (a === MISSING) a = undefined;
      try {
        return next(a, b);
      } catch (err) {
        if (err instanceof RuleTypeError) return l.run.mismatch(l.site, err.message);
        throw err;
      }
    };
  engine.addOperatorDecorator(READ, wrap(false));
  engine.addOperatorDecorator(PRESENCE, wrap(true));
}

interface OperatorLookup {
  operators: { get(name: string): unknown; operators: Map<string, unknown>; decorators: Map<string, unknown> };
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
