import type { ResolverDecision } from '@itinera/core';

/** What a resolver decided: the step's params and the trace entry's decision. */
export interface Resolution {
  params: Record<string, unknown>;
  decision: ResolverDecision;
}
