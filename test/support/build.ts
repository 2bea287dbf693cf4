import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root and its build output. */
export const REPO_ROOT = resolve(__dirname, '../..');
export const DIST = join(REPO_ROOT, 'dist');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Build dist/ once per test run (`npm run build`), whichever test file asks first.
 * Test files run in parallel processes, so the first one takes a lock (mkdir is
 * atomic) and the others wait for its marker. The run id comes from the global
 * setup, so every `vitest run` builds from the sources it tests, never a stale dist/.
 */
export async function ensureBuilt(): Promise<string> {
  const run = process.env.ITINERA_TEST_RUN_ID ?? `pid-${process.pid}`;
  const dir = join(REPO_ROOT, '.tmp', 'build');
  mkdirSync(dir, { recursive: true });
  const done = join(dir, `${run}.done`);
  const lock = join(dir, `${run}.lock`);
  let owner = false;
  try {
    mkdirSync(lock);
    owner = true;
  } catch {
    // another test file is building
  }
  if (owner) {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    writeFileSync(done, r.status === 0 ? 'ok' : `failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  for (let waited = 0; !existsSync(done); waited += 200) {
    if (waited > 300_000) throw new Error('ensureBuilt: gave up waiting for another test file to build dist/');
    await sleep(200);
  }
  const status = readFileSync(done, 'utf8');
  if (status !== 'ok') throw new Error(`npm run build ${status}`);
  return DIST;
}
