import { writeFileSync } from 'node:fs';
import { formatDetails, type ItineraryDefinition, type ResolverDefinition, type StepDefinition } from '@itinera/core';
import type { ItineraryRegistry } from '@itinera/engine';
import { itinerariesDir } from './args';
import { jsonLines } from './bus.client';
import { EXIT, JSON_OPTION, text, type CliCommand } from './command';
import { findingsJson } from './validate.command';

const GRAPH_FORMATS = ['text', 'svg', 'mermaid', 'dot'];

export const graphCommand: CliCommand = {
  name: 'graph',
  arguments: [{ name: 'dir', optional: true }, { name: 'name[@version]' }],
  options: [
    { name: 'version', value: 'x', description: 'the itinerary version to graph (same as name@x; default the latest)' },
    { name: 'format', value: 'text|svg|mermaid|dot', description: 'the drawing: text (ASCII, the default), svg, mermaid (flowchart) or dot (Graphviz)' },
    { name: 'out', value: 'FILE', description: 'write the drawing to FILE instead of stdout' },
    { ...JSON_OPTION, description: 'print the graph model as JSON (nodes with the step ids, edges, stages, publication); the drawing still goes to --out' },
  ],
  summary:
    'Draw an itinerary: its steps by stage around the publication line, with resolvers, when, maps, retries, endpoints (latest version unless one is given)',
  async run({ positional, options, services, adapters, io, env, usageError }) {
    const format = text(options, 'format') ?? 'text';
    if (!GRAPH_FORMATS.includes(format)) return usageError(`--format must be one of ${GRAPH_FORMATS.join(', ')}; got "${format}"`);
    const out = text(options, 'out');
    const target = positional.at(-1)!;
    const dir = itinerariesDir(positional.length === 2 ? positional[0] : undefined, env);
    const at = target.indexOf('@');
    const name = at < 0 ? target : target.slice(0, at);
    const version = at < 0 ? text(options, 'version') : target.slice(at + 1);
    // Loaded here, not at start: the bus commands do without the engine and start faster.
    const { loadRegistry, buildItineraryGraph, drawItineraryGraph, registryGraphContext } = await import('@itinera/engine');
    const { registry, errors } = await loadRegistry(dir, { services, adapters });
    if (!registry) {
      if (options.json) io.out(jsonLines(findingsJson(dir, errors)));
      else {
        io.out(formatDetails(errors));
        io.out(`${dir}: fix these errors first (itinera validate ${dir})`);
      }
      return EXIT.failed;
    }
    // An unknown name or version throws ITINERARY_NOT_FOUND naming the deployed ones: one line on stderr.
    const def = registry.itinerary(name, version);
    const graph = buildItineraryGraph(def, registryGraphContext(registry));
    const drawing = format === 'text' ? renderGraph(def, registry).join('\n') + '\n' : drawItineraryGraph(graph, format).text;
    if (out) writeFileSync(out, drawing);
    if (options.json) {
      // The earlier flow fields stay for scripts that read them; the model adds nodes, edges, stages and publication.
      const { nodes, edges, stages, publication } = graph;
      io.out(jsonLines({ ...graphJson(def, registry), format, ...(out ? { out } : {}), nodes, edges, stages, publication }));
    } else if (out) io.out(`${def.name}@${def.version}: ${format} drawing written to ${out}`);
    else for (const line of drawing.replace(/\n$/, '').split('\n')) io.out(line);
    return EXIT.ok;
  },
};

/** The flow `graph --json` prints: the steps in order, with where the message is published. */
export function graphJson(def: ItineraryDefinition, registry: ItineraryRegistry) {
  const summary = registry.list().find((s) => s.name === def.name);
  const steps: StepDefinition[] = def.steps;
  const publication = steps.findIndex((s) => (s.stage ?? 'send') === 'send');
  return {
    name: def.name,
    version: def.version,
    ...(def.description ? { description: def.description } : {}),
    versions: summary?.versions ?? [def.version],
    latest: summary?.latest ?? def.version,
    actions: Object.keys(def.actions ?? {}),
    onRamps: ['http', 'websocket', 'long-polling', ...(def.onRamps?.queue ?? []).map((q) => `queue:${q.queue}`)],
    // The first send-stage step runs after publication (the message box); null: the itinerary ends on the on-ramp.
    publishedBefore: publication < 0 ? null : steps[publication].id,
    steps: steps.map((s) => ({
      id: s.id,
      stage: s.stage ?? 'send',
      service: s.service,
      resolver: describeResolver(s.resolver),
      ...(s.queue ? { queue: s.queue } : {}),
      ...(s.when ? { when: s.when } : {}),
      ...(s.retry ? { retryAttempts: s.retry.attempts } : {}),
    })),
  };
}

function describeResolver(r: ResolverDefinition | undefined): string {
  if (!r || r.type === 'static') {
    const keys = Object.keys((r?.type === 'static' && r.params) || {});
    return keys.length ? `static (${keys.join(', ')})` : 'static';
  }
  if (r.type === 'rules') return `rules ${r.policy}@${r.version ?? 'latest'}`;
  if (r.map) return `expression map ${r.map}@${r.version ?? 'latest'}`;
  const src = (r.expression ?? '').replace(/\s+/g, ' ');
  return `expression ${JSON.stringify(src.length > 40 ? src.slice(0, 37) + '...' : src)}`;
}

/** The itinerary as an ASCII flow, one block per step, with the publication point marked. */
export function renderGraph(def: ItineraryDefinition, registry?: ItineraryRegistry): string[] {
  const lines: string[] = [];
  lines.push(`${def.name}@${def.version}${def.description ? `  ${def.description}` : ''}`);
  if (registry) {
    const summary = registry.list().find((s) => s.name === def.name);
    if (summary) lines.push(`  versions: ${summary.versions.map((v) => (v === summary.latest ? `${v} (latest)` : v)).join(', ')}`);
  }
  const actions = Object.keys(def.actions ?? {});
  lines.push(`  actions: ${actions.length ? actions.join(', ') : '(any)'}`);
  const queues = (def.onRamps?.queue ?? []).map((q) => `queue ${q.queue}`);
  lines.push(`  on-ramps: ${['http', 'websocket', 'long polling', ...queues].join(', ')}`);
  lines.push('');

  const steps: StepDefinition[] = def.steps;
  const idWidth = Math.max(4, ...steps.map((s, i) => `[${i + 1}] ${s.id}`.length));
  const serviceWidth = Math.max(7, ...steps.map((s) => s.service.length));
  const publication = steps.findIndex((s) => (s.stage ?? 'send') === 'send');
  lines.push('  (on-ramp)');
  steps.forEach((step, i) => {
    lines.push('     |');
    if (i === publication) {
      lines.push('  ===== publication (message box) =====');
      lines.push('     |');
    }
    if (step.queue) {
      // The hop happens before the step: another worker pool runs it and the rest.
      lines.push(`  ~~ hop: publish to service queue "${step.queue}" ~~`);
      lines.push('     |');
    }
    const head = `[${i + 1}] ${step.id}`.padEnd(idWidth);
    lines.push(`  ${head}  ${(step.stage ?? 'send').padEnd(7)}  ${step.service.padEnd(serviceWidth)}  ${describeResolver(step.resolver)}`);
    if (step.when) lines.push(`     |   when: ${step.when.replace(/\s+/g, ' ')}`);
    if (step.retry) lines.push(`     |   retry: ${step.retry.attempts} attempts`);
  });
  if (publication < 0) {
    lines.push('     |');
    lines.push('  (no send-stage steps: the itinerary ends on the on-ramp)');
  }
  lines.push('     v');
  lines.push('  (end)');
  return lines;
}
