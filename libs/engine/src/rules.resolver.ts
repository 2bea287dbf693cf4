import { ItineraError, type Facts, type PolicyDefinition } from '@itinera/core';
import { PolicyEngine } from './rules-engine';
import type { Resolution } from './resolution';

/** Where the rules resolver finds policies (the registry implements it). */
export interface PolicySource {
  /** The policy `name@version`, or the latest version; throws POLICY_NOT_FOUND. */
  policy(name: string, version?: string): PolicyDefinition;
  /** Every deployed version of every policy. */
  policies(): PolicyDefinition[];
}

/** The outcome of one policy run. */
export interface PolicyOutcome {
  policy: PolicyDefinition;
  /** Names of the rules that fired, highest priority first (ties: document order). */
  fired: string[];
  params: Record<string, unknown>;
  /** In `first` mode, the rule whose params apply. */
  winner?: string;
  /** True when no rule fired and the policy's `defaults` (or no params) apply. */
  defaults?: true;
}

/**
 * Runs rules policies (json-rules-engine, data only). One engine per policy
 * version, built once and reused for every message.
 */
export class RulesResolver {
  private readonly engines = new Map<string, PolicyEngine>();

  constructor(private readonly source: PolicySource) {
    for (const policy of source.policies()) {
      const engine = new PolicyEngine(policy);
      this.engines.set(engine.key, engine);
    }
  }

  async resolve(def: { policy: string; version?: string }, facts: Facts): Promise<Resolution> {
    const { policy, fired, params, winner, defaults } = await this.decide(def.policy, def.version, facts);
    return {
      params,
      decision: { type: 'rules', source: `${policy.name}@${policy.version}`, fired, ...(winner ? { winner } : {}), ...(defaults ? { defaults } : {}), params },
    };
  }

  /** Run the policy over the facts and combine the fired rules' params by the policy's mode. */
  async decide(name: string, version: string | undefined, facts: Facts): Promise<PolicyOutcome> {
    const policy = this.source.policy(name, version);
    const key = `${policy.name}@${policy.version}`;
    let engine = this.engines.get(key);
    if (!engine) {
      engine = new PolicyEngine(policy);
      this.engines.set(key, engine);
    }
    let results;
    try {
      results = await engine.fired(facts);
    } catch (err) {
      // A missing or mistyped fact is the message's problem, with its own code (fail closed).
      if (err instanceof ItineraError && (err.code === 'FACT_MISSING' || err.code === 'FACT_TYPE_MISMATCH')) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new ItineraError('RULES_FAILED', `policy "${key}" failed: ${msg}; check its conditions with \`itinera validate\``, { cause: err });
    }
    const fired = results
      // Highest priority first; document order breaks ties.
      .sort((a, b) => b.priority - a.priority || a.index - b.index)
      .map((r) => policy.rules[r.index]);
    const names = fired.map((r) => r.name);
    const params = combine(policy, fired);
    if (fired.length === 0) return { policy, fired: names, params, defaults: true };
    return (policy.mode ?? 'first') === 'first' ? { policy, fired: names, params, winner: names[0] } : { policy, fired: names, params };
  }
}

/**
 * The params of the fired rules. In `first` mode (and for the defaults) that is the
 * policy's own object: frozen with the registry, so nobody can change it, and the
 * same object every time, so the runner checks it against the step's spec once.
 */
function combine(policy: PolicyDefinition, fired: PolicyDefinition['rules']): Record<string, unknown> {
  if (fired.length === 0) return policy.defaults ?? NO_PARAMS;
  if ((policy.mode ?? 'first') === 'first') return fired[0].params;
  const out: Record<string, unknown> = {};
  // Lowest first, so higher-priority (and, on ties, earlier) rules overwrite.
  for (let i = fired.length - 1; i >= 0; i--) Object.assign(out, fired[i].params);
  return out;
}

const NO_PARAMS: Record<string, unknown> = Object.freeze({});
