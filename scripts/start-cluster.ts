/**
 * `npm run start:cluster`: the docker-compose topology from local processes.
 * A local redis-server (AOF with fsync on every write, in a temporary folder, noeviction) on a free port
 * unless REDIS_URL is set, two gateways on PORT and PORT+1, two workers. Prints
 * each process's role, pid and URL; stops them all on SIGTERM or Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const basePort = Number(process.env.PORT ?? 3000);
const children: { role: string; proc: ChildProcess; url?: string }[] = [];
let redisDir: string | undefined;
let stopping = false;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

async function waitHttp(url: string, proc: ChildProcess, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`the process for ${url} exited (${proc.exitCode ?? proc.signalCode}) before it was ready`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become healthy`);
}

async function startRedis(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
    console.error('redis-server is not installed: sudo apt-get install -y redis-server (or set REDIS_URL)');
    process.exit(1);
  }
  const port = await freePort();
  redisDir = mkdtempSync(join(tmpdir(), 'itinera-cluster-redis-'));
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      redisDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    {
      stdio: 'ignore',
    },
  );
  children.push({ role: 'redis', proc, url: `redis://127.0.0.1:${port}` });
  for (let i = 0; i < 100; i++) {
    if (
      spawnSync('redis-cli', ['-p', String(port), 'ping'])
        .stdout?.toString()
        .includes('PONG')
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return `redis://127.0.0.1:${port}`;
}

function startApp(role: 'gateway' | 'worker', port: number, redisUrl: string, index: number): void {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, `apps/${role}/src/main.ts`)], {
    cwd: root,
    env: { ...process.env, PORT: String(port), ITINERA_TRANSPORT: 'bullmq', REDIS_URL: redisUrl, ITINERA_NODE: `${role}-${index + 1}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  proc.on('exit', (code, signal) => {
    if (!stopping) console.error(`${role}-${index + 1} (pid ${proc.pid}) exited: ${signal ?? code}`);
  });
  children.push({ role: `${role}-${index + 1}`, proc, url: `http://127.0.0.1:${port}` });
}

async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const apps = children.filter((c) => c.role !== 'redis');
  await Promise.all(apps.map((c) => new Promise<void>((r) => (c.proc.exitCode !== null ? r() : (c.proc.once('exit', () => r()), c.proc.kill('SIGTERM'))))));
  const redis = children.find((c) => c.role === 'redis');
  if (redis) await new Promise<void>((r) => (redis.proc.once('exit', () => r()), redis.proc.kill('SIGTERM')));
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  process.exit(0);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());
  const redisUrl = await startRedis();
  startApp('gateway', basePort, redisUrl, 0);
  startApp('gateway', basePort + 1, redisUrl, 1);
  startApp('worker', basePort + 10, redisUrl, 0);
  startApp('worker', basePort + 11, redisUrl, 1);
  await Promise.all(children.filter((c) => c.role !== 'redis').map((c) => waitHttp(`${c.url}/health/ready`, c.proc)));
  console.log('\nItinera cluster is up:');
  for (const c of children) console.log(`  ${c.role.padEnd(10)} pid ${String(c.proc.pid).padEnd(8)} ${c.url}`);
  console.log('Ctrl-C stops them all.\n');
}

main().catch(async (err) => {
  console.error(`cluster did not start: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll();
  process.exit(1);
});
