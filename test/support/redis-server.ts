import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { freePort, sleep } from './ports';

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** Stop for good and remove the folder (no argument), or stop to restart later: `stop(false)` SIGTERM, `stop(true)` SIGKILL. */
  stop(hard?: boolean): Promise<void>;
  /** Start again on the same port and folder (AOF data survives). */
  start(): Promise<void>;
}

function ensureInstalled(): void {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status === 0) return;
  if (process.getuid?.() === 0) {
    const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'], { stdio: 'inherit' });
    if (r.status === 0) return;
  }
  throw new Error('redis-server is not installed. Install it with: sudo apt-get install -y redis-server');
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Start a real redis-server on a free port with its data in a temporary folder
 * (AOF on by default), `maxmemory-policy noeviction`, as the bus requires.
 */
export async function startRedis(opts: { appendonly?: boolean; maxmemoryPolicy?: string; appendfsync?: 'always' | 'everysec' } = {}): Promise<RedisServer> {
  ensureInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'itinera-redis-'));
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.appendonly === false ? 'no' : 'yes',
    '--appendfsync',
    opts.appendfsync ?? 'everysec',
    '--maxmemory-policy',
    opts.maxmemoryPolicy ?? 'noeviction',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const end = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (Date.now() > end) throw new Error(`redis-server did not start on port ${port}`);
      await sleep(25);
    }
  };
  const stop = async (hard = false) => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
  };
  await start();
  const cleanup = () => child?.kill('SIGKILL');
  process.once('exit', cleanup);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    start,
    async stop(hard?: boolean) {
      await stop(hard);
      if (hard === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
