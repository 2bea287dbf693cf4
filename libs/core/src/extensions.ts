import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SendAdapter } from './adapter';
import { ItineraError } from './errors';
import type { OnRamp } from './on-ramp';
import type { StepService } from './step';

/**
 * An application's own parts, beside the built-in lists: on-ramps (after ALL_ON_RAMPS),
 * send adapters (beside ALL_ADAPTERS) and step services (beside ALL_STEPS). The app passes
 * them to ItineraModule.forRoot; the CLI loads the same module (ITINERA_EXTENSIONS) so
 * `itinera validate` and `itinera graph` accept itineraries that use them.
 */
export interface ItineraExtensions {
  onRamps?: readonly OnRamp<any>[];
  sendAdapters?: readonly SendAdapter<any>[];
  services?: readonly StepService<any>[];
}

export function defineExtensions(extensions: ItineraExtensions): ItineraExtensions {
  return extensions;
}

const KINDS = { onRamps: 'an on-ramp', sendAdapters: 'a send adapter', services: 'a step service' } as const;

/** Each part has a name and the function its list calls: a wrong export fails here, not at the first message. */
function check(extensions: unknown, where: string): ItineraExtensions {
  const fail = (pointer: string, what: string) =>
    new ItineraError(
      'EXTENSIONS_INVALID',
      `${where}: ${pointer ? `${pointer} ` : ''}${what}; export { onRamps?, sendAdapters?, services? } (see defineExtensions)`,
      {
        details: [{ file: where, pointer, message: what }],
      },
    );
  if (!extensions || typeof extensions !== 'object' || Array.isArray(extensions))
    throw fail('', 'exports no extensions object (default export or `extensions`)');
  const out: Record<string, unknown[]> = {};
  for (const [key, value] of Object.entries(extensions)) {
    if (!(key in KINDS)) throw fail(`/${key}`, `is not a kind of extension (onRamps, sendAdapters, services)`);
    if (!Array.isArray(value)) throw fail(`/${key}`, 'must be an array');
    value.forEach((part: unknown, i) => {
      const p = part as { name?: unknown; start?: unknown; send?: unknown; run?: unknown };
      const fn = key === 'onRamps' ? p?.start : key === 'sendAdapters' ? p?.send : p?.run;
      if (!p || typeof p.name !== 'string' || !p.name || typeof fn !== 'function')
        throw fail(`/${key}/${i}`, `is not ${KINDS[key as keyof typeof KINDS]} (a name and its functions)`);
    });
    out[key] = value;
  }
  return out as ItineraExtensions;
}

/**
 * Load an extensions module (ITINERA_EXTENSIONS): its default export or its `extensions`
 * export. Relative paths are from `cwd`. Throws EXTENSIONS_INVALID saying what is wrong.
 */
export async function loadExtensions(modulePath: string, cwd: string = process.cwd()): Promise<ItineraExtensions> {
  const file = isAbsolute(modulePath) ? modulePath : resolve(cwd, modulePath);
  let mod: { default?: unknown; extensions?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as typeof mod;
  } catch (err) {
    throw new ItineraError(
      'EXTENSIONS_INVALID',
      `cannot load the extensions module ${file} (${err instanceof Error ? err.message : String(err)}); point ITINERA_EXTENSIONS at a built .js or .mjs file`,
      {
        details: [{ file, pointer: '', message: 'cannot be loaded' }],
      },
    );
  }
  return check(mod.extensions ?? (mod.default as { extensions?: unknown } | undefined)?.extensions ?? mod.default, file);
}
