import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, sleep } from './ports';
import { startRedis, type RedisServer } from './redis-server';

const ROOT = resolve(__dirname, '../..');

export interface NodeProcess {
  role: 'gateway' | 'worker';
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  /** Every JSON log line the process wrote. */
  logs: any[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface Cluster {
  redis: RedisServer;
  gateways: NodeProcess[];
  workers: NodeProcess[];
  startNode(role: 'gateway' | 'worker', name: string): Promise<NodeProcess>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  gateways?: number;
  workers?: number;
  itinerariesDir?: string;
  env?: Record<string, string>;
}

async function waitReady(url: string, proc: ChildProcess, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`${url}: the process exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/health/ready`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  throw new Error(`${url} did not become ready`);
}

/**
 * Gateways and workers as separate real processes (tsx) on a real redis-server
 * with AOF, the topology of `npm run start:cluster`.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  // fsync on every write: a Redis crash (SIGKILL) then loses nothing already answered 2xx.
  const redis = await startRedis({ appendonly: true, appendfsync: 'always' });
  const nodes: NodeProcess[] = [];
  const startNode = async (role: 'gateway' | 'worker', name: string): Promise<NodeProcess> => {
    const port = await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, `apps/${role}/src/main.ts`)], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        ITINERA_TRANSPORT: 'bullmq',
        REDIS_URL: redis.url,
        ITINERA_NODE: name,
        ITINERA_LOG_LEVEL: 'info',
        ITINERA_BULLMQ_LOCK_MS: '1500',
        ITINERA_BULLMQ_STALLED_INTERVAL_MS: '500',
        ITINERA_SHUTDOWN_TIMEOUT_MS: '3000',
        ...(opts.itinerariesDir ? { ITINERA_ITINERARIES: opts.itinerariesDir } : {}),
        ...(opts.env ?? {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: any[] = [];
    let buf = '';
    proc.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          logs.push(JSON.parse(line));
        } catch {
          logs.push({ raw: line });
        }
      }
    });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const node: NodeProcess = {
      role,
      name,
      port,
      url: `http://127.0.0.1:${port}`,
      proc,
      logs,
      exited,
      async kill(signal = 'SIGTERM') {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill(signal);
        await exited;
      },
    };
    try {
      await waitReady(node.url, proc);
    } catch (err) {
      proc.kill('SIGKILL');
      throw new Error(`${name} did not start: ${(err as Error).message}\n${stderr}`);
    }
    nodes.push(node);
    return node;
  };
  const gateways: NodeProcess[] = [];
  const workers: NodeProcess[] = [];
  try {
    const g = await Promise.all(Array.from({ length: opts.gateways ?? 2 }, (_, i) => startNode('gateway', `gateway-${i + 1}`)));
    const w = await Promise.all(Array.from({ length: opts.workers ?? 2 }, (_, i) => startNode('worker', `worker-${i + 1}`)));
    gateways.push(...g);
    workers.push(...w);
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
    await redis.stop();
    throw err;
  }
  return {
    redis,
    gateways,
    workers,
    startNode,
    async stop() {
      await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
      await redis.stop();
    },
  };
}
