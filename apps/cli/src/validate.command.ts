import { formatDetails } from '@itinera/core';
import { loadRegistry } from '@itinera/engine';
import { itinerariesDir, parseArgs } from './args';
import { EXIT, type CliCommand } from './command';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export const validateCommand: CliCommand = {
  name: 'validate',
  usage: 'validate [dir] [--invokables a,b]',
  summary: 'Check every itinerary, policy, map and schema of a folder (default ./itineraries); prints file: /pointer: message lines',
  async run({ args, services, adapters, io, env }) {
    const { positional, options, unknown } = parseArgs(args, ['invokables']);
    if (unknown.length || positional.length > 1) {
      io.err(`Usage: itinera ${validateCommand.usage}`);
      return EXIT.usage;
    }
    const dir = itinerariesDir(positional[0], env);
    // The CLI cannot see the app's registered TypeScript steps; name them to have `invoke` steps checked.
    const invokables = options.invokables
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const { registry, errors } = await loadRegistry(dir, { services, adapters, ...(invokables ? { invokables } : {}) });
    if (!registry) {
      io.out(formatDetails(errors));
      const files = new Set(errors.map((e) => e.file)).size;
      io.out(`${dir}: ${plural(errors.length, 'error')} in ${plural(files, 'file')}`);
      return EXIT.failed;
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
