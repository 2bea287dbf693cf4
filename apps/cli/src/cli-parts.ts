import type { SendAdapter, StepService } from '@itinera/core';

export interface CliParts {
  services: readonly StepService<any>[];
  adapters: readonly SendAdapter<any>[];
}

/**
 * The step services and send adapters that validate and graph check itineraries against:
 * the built-in lists plus the application's own, from the module ITINERA_EXTENSIONS names
 * (the one the app passes to ItineraModule.forRoot). Only those two commands load them: the
 * bus commands (send, trace, faults) start in a fraction of the time without them.
 */
export async function cliParts(command: string | undefined, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Promise<CliParts> {
  if (command !== 'validate' && command !== 'graph') return { services: [], adapters: [] };
  const [{ ALL_STEPS }, { ALL_ADAPTERS }, { loadExtensions }] = await Promise.all([
    import('@itinera/steps'),
    import('@itinera/adapters'),
    import('@itinera/core'),
  ]);
  const modulePath = env.ITINERA_EXTENSIONS?.trim();
  if (!modulePath) return { services: ALL_STEPS, adapters: ALL_ADAPTERS };
  const extensions = await loadExtensions(modulePath, cwd);
  return { services: [...ALL_STEPS, ...(extensions.services ?? [])], adapters: [...ALL_ADAPTERS, ...(extensions.sendAdapters ?? [])] };
}
