import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BENCH_DIR, type Child } from './children';
import type { BenchRedis } from './redis';

export const FIGURE_KEYS = ['throughput', 'duplex', 'http', 'embedded', 'orders', 'sessions', 'scaling', 'capacity'] as const;
export type FigureKey = (typeof FIGURE_KEYS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Interleaved rounds per side (A B A B …). */
  rounds: number;
  /** Seconds each measured throughput run aims for (its message count comes from the warm-up rate). */
  runSeconds: number;
  warmupMessages: number;
  /** Publishes in flight (both sides). */
  window: number;
  /** Worker concurrency (both sides). */
  concurrency: number;
  bodyBytes: number;
  /** Round trips per round and side. */
  roundTrips: number;
  warmupRoundTrips: number;
  httpSeconds: number;
  httpWarmupSeconds: number;
  httpConnections: number;
  httpPipelining: number;
  sessions: number;
  /** Full factorial scaling table, or one factor at a time. */
  scalingFull: boolean;
  only: FigureKey[];
  profile: boolean;
  logLevel: string;
  out: string;
  /** Write the table into bench/README.md too. */
  readme: boolean;
}

export function parseOptions(argv: string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}; use --quick, --only=throughput,duplex,…, --profile, --rounds=N, --sessions=N`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const known = new Set([
    'quick',
    'only',
    'profile',
    'rounds',
    'sessions',
    'seconds',
    'warmup',
    'log-level',
    'out',
    'http-connections',
    'http-pipelining',
    'readme',
  ]);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown option --${k}; see bench/README.md`);
  const quick = flags.get('quick') === 'true';
  const only = (flags.get('only') ?? FIGURE_KEYS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of only) if (!(FIGURE_KEYS as readonly string[]).includes(k)) throw new Error(`--only: unknown figure "${k}"; one of ${FIGURE_KEYS.join(', ')}`);
  const num = (k: string, d: number) => {
    const v = flags.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number`);
    return n;
  };
  return {
    quick,
    rounds: num('rounds', 3),
    runSeconds: num('seconds', quick ? 1.2 : 5),
    warmupMessages: num('warmup', quick ? 2000 : 5000),
    window: 64,
    concurrency: 16,
    bodyBytes: 1024,
    roundTrips: quick ? 500 : 2000,
    warmupRoundTrips: quick ? 100 : 300,
    httpSeconds: quick ? 2 : 10,
    httpWarmupSeconds: quick ? 2 : 5,
    httpConnections: num('http-connections', 64),
    httpPipelining: num('http-pipelining', 1),
    sessions: num('sessions', 10_000),
    scalingFull: !quick,
    only: only as FigureKey[],
    profile: flags.get('profile') === 'true',
    logLevel: flags.get('log-level') ?? 'warn',
    out: resolve(flags.get('out') ?? join(BENCH_DIR, 'results/latest.json')),
    readme: flags.get('readme') === 'true',
  };
}

export interface BenchContext {
  o: BenchOptions;
  redis: BenchRedis;
  /** bench/itineraries */
  itineraries: string;
  log(msg: string): void;
  /** With --profile: start CPU profiles in these children (call just before the measured rounds). */
  profileStart(children: Child[]): Promise<void>;
  /** With --profile: stop them and write bench/results/profiles/<name>.cpuprofile. */
  profileStop(named: [Child, string][]): Promise<void>;
  /** Environment for a bus child. */
  busEnv(transport: 'memory' | 'bullmq', extra?: Record<string, string>): Record<string, string>;
}

export function createContext(o: BenchOptions, redis: BenchRedis): BenchContext {
  const profileDir = join(BENCH_DIR, 'results/profiles');
  if (o.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const started = Date.now();
  return {
    o,
    redis,
    itineraries: join(BENCH_DIR, 'itineraries'),
    log: (msg) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`),
    profileStart: async (children) => {
      if (o.profile) await Promise.all(children.map((c) => c.request('profile-start')));
    },
    profileStop: async (named) => {
      if (o.profile) await Promise.all(named.map(([c, name]) => c.request('profile-stop', { file: join(profileDir, `${name}.cpuprofile`) })));
    },
    busEnv: (transport, extra = {}) => ({
      ITINERA_TRANSPORT: transport,
      ...(transport === 'bullmq' ? { REDIS_URL: redis.url } : {}),
      ITINERA_LOG_LEVEL: o.logLevel,
      ITINERA_WORKER_CONCURRENCY: String(o.concurrency),
      // Every load comes from one address and one anonymous principal: the per-caller limits would measure themselves.
      ITINERA_MESSAGE_RATE: '0',
      ITINERA_SESSION_RATE: '0',
      ITINERA_MAX_SESSIONS_PER_ADDRESS: '0',
      BENCH_ITINERARIES: join(BENCH_DIR, 'itineraries'),
      ...extra,
    }),
  };
}
