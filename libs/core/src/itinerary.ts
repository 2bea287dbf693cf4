import type { Stage } from './envelope';
import type { TrackDefinition } from './activity';

/** How a step gets its parameters at run time. */
export type ResolverDefinition =
  | { type: 'static'; params?: Record<string, unknown> }
  | { type: 'rules'; policy: string; version?: string }
  | { type: 'expression'; expression?: string; map?: string; version?: string };

export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  backoffMs?: number;
  factor?: number;
  maxBackoffMs?: number;
}

export interface StepDefinition {
  id: string;
  service: string;
  /** `receive`: on the on-ramp, before publication. `send` (default): after it, in a worker. */
  stage?: Stage;
  /** JSONata condition over the facts; the step is skipped when it is false. */
  when?: string;
  resolver?: ResolverDefinition;
  /** Static service options; resolver params are merged over them. */
  options?: Record<string, unknown>;
  retry?: RetryPolicy;
  /** Hop: publish to this service queue before running this step (another worker pool). */
  queue?: string;
  description?: string;
  /** Business activity monitoring: the milestone this step marks when it completes, and the fields it records. */
  track?: TrackDefinition;
}

export interface ActionDefinition {
  description?: string;
  /** JSON Schema the body must match (inline, or the name of a file in `schemas/`). */
  schema?: Record<string, unknown> | string;
}

/**
 * Who may call an action: a principal holding any of `anyOf` (`scope:x`, `role:x`),
 * or anyone when `public` is true.
 */
export interface AccessRule {
  anyOf?: string[];
  public?: boolean;
}

export interface QueueOnRamp {
  /** Queue name any producer can feed. */
  queue: string;
  concurrency?: number;
}

export interface ItineraryDefinition {
  $schema?: string;
  name: string;
  version: string;
  description?: string;
  /** Operations this itinerary accepts (like a service contract). Omitted: any action. */
  actions?: Record<string, ActionDefinition>;
  /** On-ramps: HTTP and duplex are on unless set to false; queue on-ramps are declared. */
  onRamps?: { http?: boolean; duplex?: boolean; queue?: QueueOnRamp[] };
  /** Action name (or `*`, the default for the others) → who may call it. Omitted: anyone. */
  access?: Record<string, AccessRule>;
  steps: StepDefinition[];
}

/** A rules policy: a versioned json-rules-engine rule set, data only. */
export interface PolicyDefinition {
  $schema?: string;
  name: string;
  version: string;
  description?: string;
  /** Parameters when no rule fires. */
  defaults?: Record<string, unknown>;
  /** `first`: the highest-priority rule that fires decides. `merge`: params of every fired rule merge, higher priority wins. */
  mode?: 'first' | 'merge';
  /** What a missing fact or path (or a value of the wrong type) means: `error` (default, FACT_MISSING) or `false`. A condition's own `missing` wins. */
  missing?: 'error' | 'false';
  /** Compare numeric strings as numbers; default false (strict types). */
  coerce?: boolean;
  rules: PolicyRule[];
}

export interface PolicyRule {
  name: string;
  priority?: number;
  conditions: Record<string, unknown>;
  /** Parameters this rule decides. */
  params: Record<string, unknown>;
}

/** A resolved endpoint, as a route step or rules policy produces it. */
export interface Endpoint {
  adapter: string;
  address: string;
  /** ESB-style `key=value&key=value`, or an object. */
  config?: string | Record<string, unknown>;
}

export const itineraryKey = (name: string, version: string): string => `${name}@${version}`;
