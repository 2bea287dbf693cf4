export interface BrowserBundleOptions {
  /** Minify (default true). */
  minify?: boolean;
  /** Global name (default `Itinera`). */
  globalName?: string;
}

/**
 * Build the browser bundle of the client: an IIFE that sets `window.Itinera`
 * (`Itinera.ItineraClient`, `Itinera.connect`, `Itinera.ItineraClientError`).
 * Node only; esbuild and node:url are loaded on call, so this module stays safe to
 * import from browser code.
 */
export async function buildBrowserBundle(opts: BrowserBundleOptions = {}): Promise<string> {
  const [{ build }, { fileURLToPath }] = await Promise.all([import('esbuild'), import('node:url')]);
  const entry = fileURLToPath(new URL('./browser.ts', import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: opts.globalName ?? 'Itinera',
    platform: 'browser',
    target: ['es2020'],
    minify: opts.minify ?? true,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: '/* Itinera duplex client: window.Itinera (ItineraClient, connect, ItineraClientError) */' },
  });
  return result.outputFiles[0]!.text;
}
