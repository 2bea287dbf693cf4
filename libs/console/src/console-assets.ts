import { readFile } from 'node:fs/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The browser sources of the console (TypeScript, the HTML shell and the stylesheet). */
export const CONSOLE_SOURCES = resolve(__dirname, 'ui');
/**
 * Where a build writes the console (dist/libs/console/public). From TypeScript sources
 * the folder does not exist, so the console is bundled in memory instead.
 */
export const CONSOLE_PUBLIC = resolve(__dirname, '../public');

/** The files served under /console/: name → content. */
export type ConsoleAssets = Map<string, string>;

/**
 * Bundle the console with esbuild (a dev dependency: at build time, or from sources in
 * tests and `npm run dev`). One script and one stylesheet, no CDN: it works offline.
 * `sourcemap` adds console.js.map (the build); in memory the map is left out.
 */
export async function bundleConsole(sources = CONSOLE_SOURCES, opts: { sourcemap?: boolean } = {}): Promise<ConsoleAssets> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(sources, 'main.ts')],
    bundle: true,
    write: false,
    outfile: 'console.js',
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    sourcemap: opts.sourcemap ? 'external' : false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: '/* Itinera operator console */' },
  });
  const assets: ConsoleAssets = new Map();
  for (const file of result.outputFiles) assets.set(file.path.endsWith('.map') ? 'console.js.map' : 'console.js', file.text);
  for (const file of ['index.html', 'console.css', 'graph.css', 'views.css']) assets.set(file, await readFile(join(sources, file), 'utf8'));
  return assets;
}

/** The build's step (scripts/build.mjs): the console into `out` (dist/libs/console/public). */
export async function writeConsole(sources: string, out: string): Promise<string[]> {
  const assets = await bundleConsole(sources, { sourcemap: true });
  await mkdir(out, { recursive: true });
  await Promise.all([...assets].map(([name, text]) => writeFile(join(out, name), text)));
  return [...assets.keys()];
}
