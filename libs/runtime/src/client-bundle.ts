import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Where the demo page and the built browser client live (dist/apps/bus/public after a build). */
export const PUBLIC_DIR = resolve(__dirname, '../../../apps/bus/public');
export const BUILT_BUNDLE = join(PUBLIC_DIR, 'client', 'itinera.js');
/** Running from TypeScript sources (tsx, tests), where esbuild, a dev dependency, is installed. */
const FROM_SOURCES = __filename.endsWith('.ts');

let bundle: Promise<string> | undefined;

/**
 * The browser client bundle (an IIFE setting `window.Itinera`). A build wrote it
 * beside the demo page, so a built gateway only reads a file; from TypeScript
 * sources (tsx, tests) it is bundled once per process with esbuild, a dev dependency.
 */
export function browserBundle(): Promise<string> {
  bundle ??= existsSync(BUILT_BUNDLE)
    ? readFile(BUILT_BUNDLE, 'utf8')
    : FROM_SOURCES
      ? bundleFromSources()
      : Promise.reject(new Error(`${BUILT_BUNDLE} is missing: this build is incomplete, run npm run build`));
  return bundle;
}

async function bundleFromSources(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [resolve(__dirname, '../../client/src/browser.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'Itinera',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: '/* Itinera duplex client: window.Itinera (ItineraClient, connect, ItineraClientError) */' },
  });
  return result.outputFiles[0]!.text;
}
