import { formatDetails, type ItineraryDefinition, type ResolverDefinition, type StepDefinition } from '@itinera/core';
import { loadRegistry, type ItineraryRegistry } from '@itinera/engine';
import { itinerariesDir, parseArgs } from './args';
import { EXIT, type CliCommand } from './command';

export const graphCommand: CliCommand = {
  name: 'graph',
  usage: 'graph [dir] <name[@version]>',
  summary: "Print an itinerary's steps as a flow: stage, service, resolver (latest version unless one is given)",
  async run({ args, services, adapters, io, env }) {
    const { positional, options, unknown } = parseArgs(args, ['version']);
    if (unknown.length || positional.length < 1 || positional.length > 2) {
      io.err(`Usage: itinera ${graphCommand.usage}`);
      return EXIT.usage;
    }
    const target = positional.at(-1)!;
    const dir = itinerariesDir(positional.length === 2 ? positional[0] : undefined, env);
    const at = target.indexOf('@');
    const name = at < 0 ? target : target.slice(0, at);
    const version = at < 0 ? options.version : target.slice(at + 1);
    const { registry, errors } = await loadRegistry(dir, { services, adapters });
    if (!registry) {
      io.out(formatDetails(errors));
      io.out(`${dir}: fix these errors first (itinera validate ${dir})`);
      return EXIT.failed;
    }
    let def: ItineraryDefinition;
    try {
      def = registry.itinerary(name, version);
    } catch (err) {
      io.err(err instanceof Error ? err.message : String(err));
      return EXIT.failed;
    }
    for (const line of renderGraph(def, registry)) io.out(line);
    return EXIT.ok;
  },
};

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
