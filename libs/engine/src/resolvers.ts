import { ItineraError, type Expressions, type Facts, type ResolverDecision, type ResolverDefinition, type RuleTrace } from '@itinera/core';
import { explainRules } from './trace-detail';
import type { MapSource } from './expressions';
import { ExpressionResolver } from './expression.resolver';
import { selectItinerary, SELECTOR_POLICY, type ItinerarySelection } from './itinerary.selector';
import type { Resolution } from './resolution';
import { RulesResolver, type PolicySource } from './rules.resolver';
import { StaticResolver } from './static.resolver';

export interface ResolversDeps {
  /** Policies and maps: the registry. */
  registry: PolicySource & MapSource & { hasPolicy(name: string, version?: string): boolean };
  expressions: Expressions;
}

/** Gives a step its params at run time: static, rules or expression. */
export class Resolvers {
  readonly static = new StaticResolver();
  readonly rules: RulesResolver;
  readonly expression: ExpressionResolver;

  constructor(private readonly deps: ResolversDeps) {
    this.rules = new RulesResolver(deps.registry);
    this.expression = new ExpressionResolver(deps.expressions, deps.registry);
  }

  /** No resolver is a static one with no params. */
  async resolve(def: ResolverDefinition | undefined, facts: Facts): Promise<Resolution> {
    if (!def || def.type === 'static') return this.static.resolve(def);
    if (def.type === 'rules') return this.rules.resolve(def, facts);
    if (def.type === 'expression') return this.expression.resolve(def, facts);
    throw new ItineraError('BAD_RESOLVER', `unknown resolver type "${(def as { type: string }).type}": use static, rules or expression`);
  }

  /** Trace detail of a rules decision: every rule of its policy, fired or not, with the facts it read. */
  explain(decision: ResolverDecision, facts: Facts): RuleTrace[] | undefined {
    if (decision.type !== 'rules' || !decision.source) return undefined;
    const at = decision.source.lastIndexOf('@');
    const policy = this.deps.registry.policy(decision.source.slice(0, at), decision.source.slice(at + 1));
    return explainRules(policy, decision.fired ?? [], facts);
  }

  /** Pick the itinerary of a message that named none (throws NO_ITINERARY_MATCHED). */
  selectItinerary(facts: Facts, policyName: string = SELECTOR_POLICY): Promise<ItinerarySelection> {
    return selectItinerary(this.rules, (n) => this.deps.registry.hasPolicy(n), facts, policyName);
  }
}
