import { formatDetails, type ErrorDetail } from '@itinera/core';
import type { ItineraryRegistry } from '@itinera/engine';
import { itinerariesDir } from './args';
import { jsonLines } from './bus.client';
import { EXIT, JSON_OPTION, text, type CliCommand } from './command';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `validate --json` when the folder has problems: each with its code, file and pointer. */
export function findingsJson(dir: string, errors: readonly ErrorDetail[]) {
  return {
    valid: false,
    dir,
    // The code the bus refuses to start with on the same folder.
    code: 'ITINERARIES_INVALID',
    errors: errors.map((e) => ({ code: e.code ?? 'INVALID', file: e.file ?? null, pointer: e.pointer, message: e.message })),
  };
}

function contentsJson(dir: string, registry: ItineraryRegistry) {
  return {
    valid: true,
    dir,
    itineraries: registry.list().map((i) => ({ name: i.name, versions: i.versions, latest: i.latest })),
    policies: registry.policies().map((p) => `${p.name}@${p.version}`),
    maps: registry.maps().map((m) => `${m.name}@${m.version}`),
    schemas: Object.keys(registry.schemas()).sort(),
  };
}

export const validateCommand: CliCommand = {
  name: 'validate',
  arguments: [{ name: 'dir', optional: true }],
  options: [{ name: 'invokables', value: 'a,b', description: 'the names of your TypeScript steps, so `invoke` steps are checked against them' }, JSON_OPTION],
  summary: 'Check every itinerary, policy, map and schema of a folder (default ./itineraries); prints file: /pointer: message lines',
  async run({ positional, options, services, adapters, io, env }) {
    const dir = itinerariesDir(positional[0], env);
    // The CLI cannot see the app's registered TypeScript steps; name them to have `invoke` steps checked.
    const invokables = text(options, 'invokables')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // Loaded here, not at start: the bus commands do without the engine and start faster.
    const { loadRegistry } = await import('@itinera/engine');
    const { registry, errors } = await loadRegistry(dir, { services, adapters, ...(invokables ? { invokables } : {}) });
    if (!registry) {
      if (options.json) io.out(jsonLines(findingsJson(dir, errors)));
      else {
        io.out(formatDetails(errors));
        const files = new Set(errors.map((e) => e.file)).size;
        io.out(`${dir}: ${plural(errors.length, 'error')} in ${plural(files, 'file')}`);
      }
      return EXIT.failed;
    }
    if (options.json) {
      io.out(jsonLines(contentsJson(dir, registry)));
      return EXIT.ok;
    }
    const list = registry.list();
    const versions = list.reduce((n, i) => n + i.versions.length, 0);
    const counts = [
      `${plural(list.length, 'itinerary', 'itineraries')} (${plural(versions, 'version')})`,
      plural(registry.policies().length, 'policy', 'policies'),
      plural(registry.maps().length, 'map'),
      plural(Object.keys(registry.schemas()).length, 'schema'),
    ];
    io.out(`${dir}: valid: ${counts.join(', ')}`);
    return EXIT.ok;
  },
};
