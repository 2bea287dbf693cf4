import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, sleep, waitFor } from './ports';

export interface RedisClusterNode {
  port: number;
  /** Running (false once `kill` stopped it). */
  up: boolean;
}

export interface LocalRedisCluster {
  /** Seeds for REDIS_CLUSTER_NODES: `127.0.0.1:p1,127.0.0.1:p2,…`. */
  nodesEnv: string;
  nodes: RedisClusterNode[];
  /** Ports of the nodes that are masters now (from CLUSTER NODES). */
  masters(): Promise<number[]>;
  /** Keys (DBSIZE) on each master now, by port. */
  keysPerMaster(): Promise<Map<number, number>>;
  /** The port of the master that holds `key`'s slot now. */
  masterOf(key: string): Promise<number>;
  /** Kill `port` (SIGKILL) and wait until its replica took over and the cluster is `ok` again. */
  failMaster(port: number): Promise<{ promoted: number }>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * A local Redis Cluster of three masters and three replicas from the installed
 * redis-server (cluster mode, loopback ports, no persistence), created with
 * `redis-cli --cluster create`. cluster-node-timeout is 1 s, so a killed master's
 * replica is promoted within a few seconds.
 */
export async function startRedisCluster(opts: { nodeTimeoutMs?: number } = {}): Promise<LocalRedisCluster> {
  if (spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli']).status !== 0) {
    throw new Error('redis-server and redis-cli are needed: sudo apt-get install -y redis-server');
  }
  const dir = mkdtempSync(join(tmpdir(), 'itinera-redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const nodes: RedisClusterNode[] = [];
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    const busPort = await freePort();
    const nodeDir = join(dir, String(port));
    spawnSync('mkdir', ['-p', nodeDir]);
    const args = [
      '--port', String(port), '--cluster-port', String(busPort), '--bind', HOST, '--dir', nodeDir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 1000),
      '--cluster-replica-validity-factor', '0',
      '--appendonly', 'no', '--save', '', '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning',
    ]; // prettier-ignore
    children.set(port, spawn('redis-server', args, { stdio: 'ignore' }));
    nodes.push({ port, up: true });
  }
  const killAll = () => {
    for (const c of children.values()) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const admin = (port: number) => new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  const ask = async <T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> => {
    const r = admin(port);
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  };
  for (const n of nodes) await waitFor(() => ask(n.port, (r) => r.ping()).catch(() => false), `redis-server on ${n.port}`, 10_000, 25);

  const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (create.status !== 0) {
    killAll();
    throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
  }
  const stateOk = (port: number) => ask(port, async (r) => String(await r.cluster('INFO')).includes('cluster_state:ok'));
  // Every node must agree before clients start: each one answers with its own view of the slots.
  for (const n of nodes) await waitFor(() => stateOk(n.port).catch(() => false), `cluster_state:ok on ${n.port}`, 20_000, 50);
  // A replica that has not synced yet cannot take over: wait for every link before a failover test.
  const synced = (port: number) =>
    ask(port, async (r) => {
      const info = await r.info('replication');
      return info.includes('role:master') || info.includes('master_link_status:up');
    });
  for (const n of nodes) await waitFor(() => synced(n.port).catch(() => false), `replication link of ${n.port}`, 20_000, 50);

  const up = () => nodes.filter((n) => n.up);
  const clusterNodes = async () => {
    for (const n of up()) {
      try {
        return String(await ask(n.port, (r) => r.cluster('NODES')));
      } catch {
        // ask the next one
      }
    }
    throw new Error('no cluster node answers');
  };
  const masters = async () =>
    (await clusterNodes())
      .split('\n')
      .filter((l) => /\bmaster\b/.test(l) && !/\bfail\b/.test(l) && / \d+-\d+/.test(l))
      .map((l) => Number(/:(\d+)@/.exec(l)![1]));

  return {
    nodesEnv: nodes.map((n) => `${HOST}:${n.port}`).join(','),
    nodes,
    masters,
    async masterOf(key) {
      const port = up()[0]!.port;
      const slot = Number(await ask(port, (r) => r.cluster('KEYSLOT', key)));
      for (const line of (await clusterNodes()).split('\n')) {
        if (!/\bmaster\b/.test(line) || /\bfail\b/.test(line)) continue;
        const ranges = line.split(' ').slice(8);
        if (ranges.some((r) => { const [a, b] = r.split('-').map(Number); return slot >= a! && slot <= (b ?? a)!; })) return Number(/:(\d+)@/.exec(line)![1]); // prettier-ignore
      }
      throw new Error(`no master holds slot ${slot}`);
    },
    async keysPerMaster() {
      const out = new Map<number, number>();
      for (const port of await masters()) out.set(port, await ask(port, (r) => r.dbsize()));
      return out;
    },
    async failMaster(port) {
      const before = new Set(await masters());
      const child = children.get(port);
      const node = nodes.find((n) => n.port === port);
      if (!child || !node || !before.has(port)) throw new Error(`${port} is not a running master`);
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
      node.up = false;
      const promoted = await waitFor(
        async () => {
          const now = await masters();
          const fresh = now.filter((p) => !before.has(p) && p !== port);
          return fresh.length === 1 && now.length === 3 ? fresh[0] : undefined;
        },
        `a replica taking over from ${port}`,
        20_000,
        100,
      );
      for (const n of up()) await waitFor(() => stateOk(n.port).catch(() => false), `cluster_state:ok on ${n.port}`, 20_000, 50);
      return { promoted };
    },
    async stop() {
      await Promise.all(
        [...children.values()].map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
      process.off('exit', killAll);
      await sleep(10);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
