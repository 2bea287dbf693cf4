import type { ItineraryDefinition, PolicyDefinition, ResolverDefinition, Stage, StepDefinition } from '@itinera/core';

/** What the graph looks up in the registry: deployed versions of policies and maps, and who consumes which queue. */
export interface GraphContext {
  policy?(name: string, version?: string): PolicyDefinition | undefined;
  mapVersion?(name: string, version?: string): string | undefined;
  /** The itinerary whose queue on-ramp reads this queue. */
  queueConsumer?(queue: string): string | undefined;
}

export interface GraphEndpoint {
  adapter: string;
  address?: string;
  /** The rule that picks it (`defaults` when no rule fires); absent for a static endpoint. */
  when?: string;
}

export interface GraphResolver {
  type: 'static' | 'rules' | 'expression';
  /** `order-decision@1.0.0`, the map `name@version`, or the expression text. */
  label: string;
  policy?: string;
  map?: string;
  version?: string;
  rules?: string[];
}

export interface GraphStep {
  /** The step id: a message's trace entries name it, so the console colours this node from them. */
  id: string;
  kind: 'step';
  index: number;
  stage: Stage;
  service: string;
  description?: string;
  resolver: GraphResolver;
  when?: string;
  retry?: { attempts: number; backoffMs?: number; factor?: number };
  /** Maps the step applies, `name@version` (to the body, the callback or the outgoing payload). */
  maps: string[];
  expression?: string;
  /** Where a send or route step delivers: its options, or every endpoint its rules policy can pick. */
  endpoints: GraphEndpoint[];
  /** Service queue published to before this step runs (another worker pool). */
  queue?: string;
  /** Callback action sent to the caller (callback steps). */
  callback?: string;
  milestone?: string;
  /** Display lines under the title, in order. */
  details: string[];
}

export interface GraphTerminal {
  id: string;
  kind: 'entry' | 'end' | 'itinerary';
  title: string;
  details: string[];
}

export type GraphNode = GraphStep | GraphTerminal;

export interface GraphEdge {
  from: string;
  to: string;
  /** `next`: the routing slip's order; `queue`: a hop through a service queue; `itinerary`: delivery to another itinerary's queue on-ramp. */
  kind: 'next' | 'queue' | 'itinerary';
  label?: string;
}

export interface ItineraryGraph {
  name: string;
  version: string;
  description?: string;
  actions: string[];
  onRamps: string[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  stages: { stage: Stage; steps: string[] }[];
  /** Where the message is published (the message box): between `after` and `before`; null ends: on-ramp or end. */
  publication: { after: string | null; before: string | null };
}

/** Node ids of the non-step nodes: ':' is not allowed in a step id, so they never collide. */
export const ENTRY_ID = ':on-ramp';
export const END_ID = ':end';
export const itineraryNodeId = (name: string): string => `itinerary:${name}`;

const oneLine = (s: string, max = 60): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
};

function configOf(config: unknown): Record<string, string> {
  if (typeof config === 'string') return Object.fromEntries(new URLSearchParams(config));
  if (config && typeof config === 'object') return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
  return {};
}

function resolverOf(r: ResolverDefinition | undefined, ctx: GraphContext): GraphResolver {
  if (!r || r.type === 'static') {
    const keys = Object.keys((r?.type === 'static' && r.params) || {});
    return { type: 'static', label: keys.length ? `static (${keys.join(', ')})` : 'static' };
  }
  if (r.type === 'rules') {
    const policy = ctx.policy?.(r.policy, r.version);
    const version = policy?.version ?? r.version ?? 'latest';
    return { type: 'rules', label: `rules ${r.policy}@${version}`, policy: r.policy, version, rules: (policy?.rules ?? []).map((x) => x.name) };
  }
  if (r.map) {
    const version = ctx.mapVersion?.(r.map, r.version) ?? r.version ?? 'latest';
    return { type: 'expression', label: `map ${r.map}@${version}`, map: r.map, version };
  }
  return { type: 'expression', label: `expression ${oneLine(r.expression ?? '', 40)}` };
}

/** Endpoints a step can send to: its static options, else what its rules policy decides (defaults and each rule). */
function endpointsOf(step: StepDefinition, ctx: GraphContext): GraphEndpoint[] {
  const opts = step.options ?? {};
  if (typeof opts.adapter === 'string')
    return [{ adapter: opts.adapter, ...(typeof opts.address === 'string' ? { address: opts.address } : {}), ...configTarget(opts.config) }];
  if (step.resolver?.type !== 'rules' || (step.service !== 'route' && step.service !== 'send')) return [];
  const policy = ctx.policy?.(step.resolver.policy, step.resolver.version);
  if (!policy) return [];
  const picks = [...policy.rules.map((r) => ({ when: r.name, params: r.params })), ...(policy.defaults ? [{ when: 'defaults', params: policy.defaults }] : [])];
  return picks
    .filter((p) => typeof p.params.adapter === 'string')
    .map((p) => ({
      adapter: String(p.params.adapter),
      ...(typeof p.params.address === 'string' ? { address: p.params.address } : {}),
      when: p.when,
      ...configTarget(p.params.config),
    }));
}

// The queue adapter names the itinerary that consumes the queue in its config; kept on the endpoint to draw the edge.
const configTarget = (config: unknown): { itinerary?: string } => {
  const it = configOf(config).itinerary;
  return it ? ({ itinerary: it } as { itinerary?: string }) : {};
};

function mapsOf(step: StepDefinition, ctx: GraphContext): string[] {
  const opts = step.options ?? {};
  if (typeof opts.map !== 'string') return [];
  const pinned = typeof opts.version === 'string' ? opts.version : undefined;
  return [`${opts.map}@${ctx.mapVersion?.(opts.map, pinned) ?? pinned ?? 'latest'}`];
}

function stepNode(step: StepDefinition, index: number, ctx: GraphContext): GraphStep {
  const opts = step.options ?? {};
  const resolver = resolverOf(step.resolver, ctx);
  const maps = mapsOf(step, ctx);
  const endpoints = endpointsOf(step, ctx);
  const callback = step.service === 'callback' && typeof opts.action === 'string' ? opts.action : undefined;
  const expression = typeof opts.expression === 'string' ? opts.expression : undefined;
  const details = [`${step.service} · ${resolver.label}`];
  if (step.when) details.push(`when ${oneLine(step.when)}`);
  if (typeof opts.schema === 'string') details.push(`schema ${opts.schema}`);
  if (step.service === 'invoke' && typeof opts.name === 'string') details.push(`extension ${opts.name}`);
  for (const m of maps) details.push(`map ${m}`);
  if (expression) details.push(`expression ${oneLine(expression, 40)}`);
  if (callback) details.push(`callback ${callback}${opts.to === 'group' && typeof opts.group === 'string' ? ` to group ${opts.group}` : ''}`);
  for (const e of endpoints) details.push(`${e.when ? `${e.when}: ` : ''}${e.adapter}${e.address ? ` ${oneLine(e.address, 40)}` : ''}`);
  if (step.retry)
    details.push(
      `retry ${step.retry.attempts} attempts${step.retry.backoffMs ? `, backoff ${step.retry.backoffMs} ms${step.retry.factor ? ` ×${step.retry.factor}` : ''}` : ''}`,
    );
  if (step.track) details.push(`milestone ${step.track.milestone}`);
  return {
    id: step.id,
    kind: 'step',
    index,
    stage: step.stage ?? 'send',
    service: step.service,
    ...(step.description ? { description: step.description } : {}),
    resolver,
    ...(step.when ? { when: step.when } : {}),
    ...(step.retry ? { retry: { attempts: step.retry.attempts, backoffMs: step.retry.backoffMs, factor: step.retry.factor } } : {}),
    maps,
    ...(expression ? { expression } : {}),
    endpoints: endpoints.map(({ adapter, address, when }) => ({ adapter, ...(address ? { address } : {}), ...(when ? { when } : {}) })),
    ...(step.queue ? { queue: step.queue } : {}),
    ...(callback ? { callback } : {}),
    ...(step.track ? { milestone: step.track.milestone } : {}),
    details,
  };
}

/**
 * The itinerary as a graph: the on-ramp, its steps in routing-slip order grouped by
 * stage with the publication line between them, the end, and the itineraries it
 * feeds through queues. Node ids are the step ids, so a trace can be laid over it.
 */
export function buildItineraryGraph(def: ItineraryDefinition, ctx: GraphContext = {}): ItineraryGraph {
  const steps = def.steps.map((s, i) => stepNode(s, i, ctx));
  const queues = (def.onRamps?.queue ?? []).map((q) => `queue ${q.queue}`);
  const onRamps = [...(def.onRamps?.http === false ? [] : ['http']), ...(def.onRamps?.duplex === false ? [] : ['duplex']), ...queues];
  const entry: GraphTerminal = { id: ENTRY_ID, kind: 'entry', title: 'on-ramp', details: [onRamps.join(', ') || '(none)'] };
  const end: GraphTerminal = { id: END_ID, kind: 'end', title: 'end', details: [] };
  const edges: GraphEdge[] = [];
  const chain = [ENTRY_ID, ...steps.map((s) => s.id), END_ID];
  for (let i = 1; i < chain.length; i++) {
    const to = steps[i - 1];
    edges.push({ from: chain[i - 1], to: chain[i], kind: to?.queue ? 'queue' : 'next', ...(to?.queue ? { label: `queue ${to.queue}` } : {}) });
  }
  const targets: GraphTerminal[] = [];
  def.steps.forEach((step, i) => {
    for (const e of endpointsOf(step, ctx) as (GraphEndpoint & { itinerary?: string })[]) {
      if (e.adapter !== 'queue') continue;
      const name = e.itinerary ?? (e.address ? ctx.queueConsumer?.(e.address) : undefined);
      if (!name) continue;
      const id = itineraryNodeId(name);
      if (!targets.some((t) => t.id === id)) targets.push({ id, kind: 'itinerary', title: name, details: ['itinerary'] });
      edges.push({ from: steps[i].id, to: id, kind: 'itinerary', label: `queue ${e.address ?? ''}${e.when ? ` (${e.when})` : ''}`.trim() });
    }
  });
  const publishedAt = steps.findIndex((s) => s.stage === 'send');
  const receive = steps.filter((s) => s.stage === 'receive').map((s) => s.id);
  const send = steps.filter((s) => s.stage === 'send').map((s) => s.id);
  return {
    name: def.name,
    version: def.version,
    ...(def.description ? { description: def.description } : {}),
    actions: Object.keys(def.actions ?? {}),
    onRamps,
    nodes: [entry, ...steps, end, ...targets],
    edges,
    stages: [
      { stage: 'receive', steps: receive },
      { stage: 'send', steps: send },
    ],
    publication:
      publishedAt < 0
        ? { after: steps.at(-1)?.id ?? null, before: null }
        : { after: publishedAt === 0 ? null : steps[publishedAt - 1].id, before: steps[publishedAt].id },
  };
}

/** The registry as a graph context. */
export function registryGraphContext(registry: {
  hasPolicy(name: string, version?: string): boolean;
  policy(name: string, version?: string): PolicyDefinition;
  map(name: string, version?: string): { version: string } | undefined;
  queueOnRamps(): { queue: string; itinerary: string }[];
}): GraphContext {
  return {
    policy: (name, version) => (registry.hasPolicy(name, version) ? registry.policy(name, version) : undefined),
    mapVersion: (name, version) => registry.map(name, version)?.version,
    queueConsumer: (queue) => registry.queueOnRamps().find((q) => q.queue === queue)?.itinerary,
  };
}
