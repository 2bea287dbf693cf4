import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@itinera/runtime';
import { freePort, startTestBus } from '@itinera/testing';
import { REPO, durationMs, knownSettings, readEnvFile, shutdownTimeoutMs } from './deploy-settings';

/**
 * docker-compose.yml checked against the code: no container engine runs here, so the test
 * reads the file as Compose would (YAML merge keys resolved) and holds every setting, path,
 * port and timing it names against the configuration, the image and a running bus.
 */
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number> | string[];
  env_file?: string | (string | { path: string })[];
  ports?: (string | { target: number })[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[]; start_period?: string };
  stop_grace_period?: string;
}

const compose = parse(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const envExample = readEnvFile(join(REPO, '.env.example'));
const services = Object.entries(compose.services);
const itinera = services.filter(([, s]) => s.image?.startsWith('itinera'));
const roleOf = (s: Service) => s.command?.[0];

function environment(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}
/** What the app in this container sees: .env first, the service's environment over it (Compose's order). */
const effectiveEnv = (s: Service) => ({ ...envExample.values, ...environment(s) });

describe('docker-compose.yml', () => {
  it('builds one image once and runs two gateways and two workers from it', () => {
    const builders = services.filter(([, s]) => s.build);
    expect(builders).toHaveLength(1);
    const image = builders[0][1].image;
    expect(image).toBe('itinera:local');
    expect(itinera.every(([, s]) => s.image === image)).toBe(true);
    expect(itinera.map(([, s]) => roleOf(s)).sort()).toEqual(['gateway', 'gateway', 'worker', 'worker']);
    // Roles the image's entrypoint knows.
    const entrypoint = readFileSync(join(REPO, 'deploy/docker/entrypoint.sh'), 'utf8');
    for (const [, s] of itinera) expect(entrypoint).toMatch(new RegExp(`\\b${roleOf(s)}\\b[^\\n]*\\)`));
  });

  it('sets only environment variables the configuration knows, with values it accepts', () => {
    const unknown = [
      ...envExample.names.filter((n) => !knownSettings().has(n)).map((n) => `.env.example: ${n}`),
      ...itinera.flatMap(([name, s]) =>
        Object.keys(environment(s))
          .filter((n) => !knownSettings(effectiveEnv(s)).has(n))
          .map((n) => `${name}: ${n}`),
      ),
    ];
    expect(unknown).toEqual([]);
    for (const [, s] of itinera) {
      // The blank that README asks the operator to fill in; everything else must already load.
      const config = loadConfig({ ...effectiveEnv(s), ITINERA_ADMIN_TOKEN: 'x'.repeat(64) } as NodeJS.ProcessEnv);
      expect(config.transport).toBe('bullmq');
      expect(config.redisUrl).toBe('redis://redis:6379');
    }
  });

  it('reads secrets and production settings from .env, leaving the admin token for the operator', () => {
    for (const [, s] of itinera) expect([s.env_file].flat().map((f) => (typeof f === 'string' ? f : f?.path))).toEqual(['.env']);
    expect(envExample.values.NODE_ENV).toBe('production');
    expect(envExample.values.ITINERA_ADMIN_TOKEN).toBe('');
    for (const name of ['ITINERA_ALLOWED_ORIGINS', 'ITINERA_SEND_ALLOWLIST']) expect(envExample.values[name]).toMatch(/\S/);
    // Secrets never sit in the compose file itself.
    for (const [, s] of itinera) expect(Object.keys(environment(s))).not.toContain('ITINERA_ADMIN_TOKEN');
    expect(readFileSync(join(REPO, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('runs Redis with AOF, noeviction and a health check; every node waits for it to be healthy', () => {
    const redis = compose.services.redis;
    const args = (redis.command ?? []).join(' ');
    expect(args).toMatch(/--appendonly yes/);
    expect(args).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.healthcheck?.test.join(' ')).toMatch(/redis-cli ping/);
    expect(redis.volumes).toEqual(['redis-data:/data']);
    for (const [, s] of itinera) expect(s.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
  });

  it('publishes the gateways on the port the app listens on, health checks with a start period', () => {
    for (const [name, s] of itinera) {
      const port = loadConfig(effectiveEnv(s) as NodeJS.ProcessEnv).port;
      for (const p of s.ports ?? []) expect(typeof p === 'string' ? Number(p.split(':').at(-1)) : p.target, name).toBe(port);
      expect(s.healthcheck?.start_period, name).toBeDefined();
      expect(durationMs(s.healthcheck!.start_period!)).toBeGreaterThan(0);
      // The check runs the image's script, copied from deploy/docker to /app/deploy/docker.
      const [kind, ...cmd] = s.healthcheck!.test;
      expect(kind).toBe('CMD');
      expect(cmd[0]).toBe('node');
      expect(existsSync(join(REPO, cmd[1].replace(/^\/app\//, '')))).toBe(true);
    }
    expect(itinera.filter(([, s]) => roleOf(s) === 'gateway').every(([, s]) => s.ports?.length)).toBe(true);
  });

  it('gives every node longer to stop than its shutdown timeout', () => {
    for (const [name, s] of itinera) {
      expect(s.stop_grace_period, name).toBeDefined();
      expect(durationMs(s.stop_grace_period!), name).toBeGreaterThan(shutdownTimeoutMs(effectiveEnv(s)));
    }
  });

  it('mounts nothing from the host: named volumes only, no node_modules', () => {
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] : (v.source ?? '');
        const target = typeof v === 'string' ? v.split(':')[1] : v.target;
        expect(typeof v === 'string' || v.type !== 'bind', `${name}: ${JSON.stringify(v)}`).toBe(true);
        expect(source, `${name}: a bind mount of ${source}`).toMatch(/^[a-z0-9][a-z0-9_.-]*$/);
        expect(Object.keys(compose.volumes ?? {})).toContain(source);
        expect(target).not.toMatch(/node_modules/);
      }
    }
  });
});

describe('the health check the compose file runs', () => {
  let gateway: Awaited<ReturnType<typeof startTestBus>>;
  let worker: Awaited<ReturnType<typeof startTestBus>>;
  /** A service's settings in production, with the token filled in; the embedded transport stands in for Redis. */
  const settings = (service: string, token = 'x'.repeat(64)) => {
    const env: Record<string, string> = { ...effectiveEnv(compose.services[service]), ITINERA_ADMIN_TOKEN: token, ITINERA_TRANSPORT: 'memory' };
    delete env.REDIS_URL;
    return { ...env, ITINERA_LOG_LEVEL: 'silent' };
  };
  beforeAll(async () => {
    gateway = await startTestBus({ roles: { gateway: true, worker: false }, env: settings('gateway-1') });
    worker = await startTestBus({ roles: { gateway: false, worker: true }, env: settings('worker-1') });
  });
  afterAll(async () => {
    await gateway?.close();
    await worker?.close();
  });

  // Asynchronous: the node under test answers from this same process.
  const healthcheck = (port: string) =>
    new Promise<number | null>((done) => {
      const [, , script] = compose.services['gateway-1'].healthcheck!.test;
      const child = spawn(process.execPath, [join(REPO, script.replace(/^\/app\//, ''))], { env: { ...process.env, PORT: port }, stdio: 'ignore' });
      child.on('exit', (code) => done(code));
    });

  it('starts production nodes once the admin token is filled in, and names it while it is blank', async () => {
    expect(gateway.bus.config.production).toBe(true);
    await expect(startTestBus({ roles: { gateway: true, worker: false }, env: settings('gateway-2', '') })).rejects.toMatchObject({
      code: 'INSECURE_PRODUCTION_CONFIG',
      details: [{ pointer: '/ITINERA_ADMIN_TOKEN' }],
    });
  });

  it('answers on /health/live and /health/ready of a gateway and of a worker', async () => {
    for (const node of [gateway, worker]) {
      for (const path of ['/health/live', '/health/ready']) expect((await fetch(`${node.url}${path}`)).status, `${node.url}${path}`).toBe(200);
    }
  });

  it('passes against a ready node on PORT and fails where nothing listens', async () => {
    expect(await healthcheck(new URL(gateway.url).port)).toBe(0);
    expect(await healthcheck(new URL(worker.url).port)).toBe(0);
    expect(await healthcheck(String(await freePort()))).toBe(1);
  });
});
