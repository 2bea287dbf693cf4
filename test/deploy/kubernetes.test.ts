import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { loadConfig, type BusConfig } from '@itinera/runtime';
import { SAMPLES_DIR, startTestBus } from '@itinera/testing';
import { renderItineraries } from '../../scripts/kube-itineraries';
import { REPO, knownSettings } from './deploy-settings';
import { build, validateStrict, type Built, type K8sObject } from './kustomize';

/**
 * deploy/kubernetes checked without a cluster: the kustomizations built by a small loader
 * (every file they name must exist and be read), every object validated against the
 * Kubernetes API schemas (kubernetes-models), and the manifests held against the code:
 * settings, probe paths, ports, labels, timings, and the itineraries ConfigMap loaded by a
 * real bus from a folder laid out the way the kubelet mounts it.
 */
const ROOT = join(REPO, 'deploy/kubernetes');
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Namespace': Namespace,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
};

const base = build(join(ROOT, 'base'));
const overlay = build(join(ROOT, 'overlays/example'));
const find = (b: Built, kind: string, name: string) => {
  const o = b.objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const deployments = (b: Built) => b.objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'itinera');
const podSpec = (d: K8sObject) => d.spec.template.spec;
const container = (d: K8sObject) => podSpec(d).containers[0];
const data = (o: K8sObject): Record<string, string> =>
  o.kind === 'Secret' ? Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v as string, 'base64').toString()])) : (o.data ?? {});
/** The environment a Deployment's container gets (envFrom in order, then env values). */
function podEnv(b: Built, d: K8sObject): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container(d).envFrom ?? []) {
    const ref = from.configMapRef ? find(b, 'ConfigMap', from.configMapRef.name) : find(b, 'Secret', from.secretRef.name);
    Object.assign(env, data(ref));
  }
  for (const e of container(d).env ?? []) env[e.name] = e.value ?? (e.valueFrom?.fieldRef ? 'pod-name' : '');
  return env;
}
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const matchLabels = (o: K8sObject) => (o.spec.selector.matchLabels ?? o.spec.selector) as Record<string, string>;

describe('deploy/kubernetes', () => {
  it('builds the base and the example overlay from files that all exist, leaving none unread', () => {
    const all = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? all(join(dir, f)) : [join(dir, f)]));
    const read = new Set([...base.files, ...overlay.files]);
    expect(all(ROOT).filter((f) => !read.has(f) && !f.endsWith('.md'))).toEqual([]);
    const kinds = (b: Built) => b.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds(base)).toEqual([
      'ConfigMap/itinera-config',
      'ConfigMap/itinera-itineraries',
      'Deployment/itinera-gateway',
      'Deployment/itinera-worker',
      'HorizontalPodAutoscaler/itinera-gateway',
      'HorizontalPodAutoscaler/itinera-worker',
      'Ingress/itinera',
      'PodDisruptionBudget/itinera-gateway',
      'PodDisruptionBudget/itinera-worker',
      'Secret/itinera-secrets',
      'Service/itinera-gateway',
    ]);
    expect(kinds(overlay)).toEqual([...kinds(base), 'Deployment/redis', 'Namespace/itinera-example', 'Service/redis'].sort());
  });

  it('validates every object against the Kubernetes API schemas', () => {
    for (const o of [...base.objects, ...overlay.objects]) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind} has no model in this test`).toBeDefined();
      expect(() => new Model(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      expect(validateStrict(Model, o), `${o.kind}/${o.metadata.name}: fields the API does not know`).toEqual([]);
    }
    // The checks do catch a broken manifest: a wrong type, a misspelt field.
    const broken = structuredClone(find(base, 'Deployment', 'itinera-gateway'));
    container(broken).ports[0].containerPort = 'http';
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/);
    const misspelt = structuredClone(find(base, 'Deployment', 'itinera-gateway'));
    container(misspelt).livenesProbe = container(misspelt).livenessProbe;
    expect(validateStrict(Deployment, misspelt)).toEqual(['/spec/template/spec/containers/0/livenesProbe']);
  });

  it('sets only settings the configuration knows, which load in production without an opt-out', () => {
    for (const d of deployments(overlay)) {
      const env = podEnv(overlay, d);
      expect(Object.keys(env).filter((n) => !knownSettings(env).has(n))).toEqual([]);
      const config = loadConfig(env as NodeJS.ProcessEnv);
      expect(config).toMatchObject({ production: true, transport: 'bullmq', redisUrl: 'redis://redis:6379', openOperatorEndpoints: false });
      expect(config.allowedOrigins).not.toContain('*');
      expect(config.sendAllowList).not.toContain('*');
    }
    for (const d of deployments(base)) expect(Object.keys(podEnv(base, d)).filter((n) => !knownSettings().has(n))).toEqual([]);
  });

  it('keeps the Redis URL and admin token in the Secret, blank in the base and filled in by the overlay', () => {
    expect(data(find(base, 'Secret', 'itinera-secrets'))).toEqual({ REDIS_URL: '', ITINERA_ADMIN_TOKEN: '' });
    expect(Object.keys(data(find(overlay, 'ConfigMap', 'itinera-config')))).not.toContain('ITINERA_ADMIN_TOKEN');
    const secrets = data(find(overlay, 'Secret', 'itinera-secrets'));
    expect(secrets.ITINERA_ADMIN_TOKEN.length).toBeGreaterThanOrEqual(32);
    // The overlay's Redis is its own dev-only Service, with the settings the bus insists on.
    expect(new URL(secrets.REDIS_URL).hostname).toBe('redis');
    const redis = find(overlay, 'Deployment', 'redis');
    expect(redis.metadata.labels?.['itinera.dev/dev-only']).toBe('true');
    expect(container(redis).args.join(' ')).toMatch(/--appendonly yes.*--maxmemory-policy noeviction/);
    expect(selects(find(overlay, 'Service', 'redis').spec.selector, redis.spec.template.metadata.labels)).toBe(true);
  });

  it('probes /health/live and /health/ready on the container port, runs non-root with resources', () => {
    const dockerfileUser = /^USER (\d+):(\d+)/m.exec(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
    for (const d of deployments(overlay)) {
      const c = container(d);
      const ports = new Set(c.ports.map((p: { name: string }) => p.name));
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(c.startupProbe.httpGet.path).toBe('/health/live');
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(ports.has(probe.httpGet.port)).toBe(true);
      expect(c.ports[0].containerPort).toBe(loadConfig(podEnv(overlay, d) as NodeJS.ProcessEnv).port);
      expect(c.args).toEqual([d.metadata.labels?.['app.kubernetes.io/component']]);
      expect(c.image).toBe('registry.example.com/itinera:0.1.0');
      expect(d.metadata.namespace).toBe('itinera-example');
      expect(podSpec(d).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(dockerfileUser?.[1]) });
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits.memory).toEqual(expect.any(String));
    }
  });

  it('gives each pod longer to stop than its preStop pause and ITINERA_SHUTDOWN_TIMEOUT_MS', () => {
    for (const d of deployments(overlay)) {
      const preStop = container(d).lifecycle?.preStop?.exec?.command;
      const pauseS = preStop ? Number(preStop[1]) : 0;
      const { shutdownTimeoutMs } = loadConfig(podEnv(overlay, d) as NodeJS.ProcessEnv);
      expect(podSpec(d).terminationGracePeriodSeconds * 1000, d.metadata.name).toBeGreaterThan(pauseS * 1000 + shutdownTimeoutMs);
    }
    expect(container(find(overlay, 'Deployment', 'itinera-gateway')).lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
  });

  it('matches selectors to labels and Service, Ingress and autoscaler references to what exists', () => {
    for (const d of deployments(overlay)) {
      const role = d.metadata.labels?.['app.kubernetes.io/component'];
      const labels = d.spec.template.metadata.labels;
      expect(selects(matchLabels(d), labels)).toBe(true);
      const pdb = find(overlay, 'PodDisruptionBudget', d.metadata.name);
      expect(selects(matchLabels(pdb), labels)).toBe(true);
      const hpa = find(overlay, 'HorizontalPodAutoscaler', d.metadata.name);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
      // The autoscaler owns the replicas; one in the Deployment would fight it on every apply.
      expect(d.spec.replicas).toBeUndefined();
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      // Each selector picks its own role only.
      for (const other of deployments(overlay).filter((x) => x !== d)) {
        expect(selects(matchLabels(pdb), other.spec.template.metadata.labels), `${role} PDB`).toBe(false);
      }
    }
    const gateway = find(overlay, 'Deployment', 'itinera-gateway');
    const service = find(overlay, 'Service', 'itinera-gateway');
    expect(selects(service.spec.selector, gateway.spec.template.metadata.labels)).toBe(true);
    expect(selects(service.spec.selector, find(overlay, 'Deployment', 'itinera-worker').spec.template.metadata.labels)).toBe(false);
    const containerPorts = container(gateway).ports.map((p: { name: string }) => p.name);
    for (const p of service.spec.ports) expect(containerPorts).toContain(p.targetPort);
    for (const rule of find(overlay, 'Ingress', 'itinera').spec.rules) {
      for (const path of rule.http.paths) {
        expect(path.backend.service.name).toBe(service.metadata.name);
        expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(path.backend.service.port.name);
      }
    }
  });

  it('lets WebSockets and long polls outlive the ingress timeouts, and bodies reach the bus', () => {
    const ingress = find(overlay, 'Ingress', 'itinera');
    const a = ingress.metadata.annotations as Record<string, string>;
    const config: BusConfig = loadConfig(podEnv(overlay, find(overlay, 'Deployment', 'itinera-gateway')) as NodeJS.ProcessEnv);
    for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
      const seconds = Number(a[`nginx.ingress.kubernetes.io/${key}`]);
      expect(seconds * 1000, key).toBeGreaterThan(2 * Math.max(config.heartbeatMs, config.pollTimeoutMs));
    }
    const body = /^(\d+)m$/.exec(a['nginx.ingress.kubernetes.io/proxy-body-size']);
    expect(Number(body?.[1]) * 1024 * 1024).toBeGreaterThan(config.maxBodyBytes);
    expect(ingress.spec.rules[0].host).toBe('itinera.example.test');
  });
});

describe('the itineraries ConfigMap', () => {
  const committed = {
    configmap: readFileSync(join(ROOT, 'base/itineraries/configmap.yaml'), 'utf8'),
    volume: readFileSync(join(ROOT, 'base/itineraries/volume.yaml'), 'utf8'),
  };
  let mounted: string;
  let fromConfigMap: Awaited<ReturnType<typeof startTestBus>>;
  let fromRepo: Awaited<ReturnType<typeof startTestBus>>;

  /** The kubelet's layout: files in a timestamped folder, `..data` linking to it, each top entry a link through `..data`. */
  function mountLikeKubelet(configMap: K8sObject, items: { key: string; path: string }[]): string {
    const root = mkdtempSync(join(tmpdir(), 'itinera-configmap-'));
    const version = '..2026_01_01_00_00_00.000000001';
    for (const { key, path } of items) {
      mkdirSync(dirname(join(root, version, path)), { recursive: true });
      writeFileSync(join(root, version, path), configMap.data[key]);
    }
    symlinkSync(version, join(root, '..data'));
    for (const top of new Set(items.map((i) => i.path.split('/')[0]))) symlinkSync(join('..data', top), join(root, top));
    return root;
  }

  beforeAll(async () => {
    const gateway = find(overlay, 'Deployment', 'itinera-gateway');
    const volume = podSpec(gateway).volumes.find((v: { name: string }) => v.name === 'itineraries');
    mounted = mountLikeKubelet(find(overlay, 'ConfigMap', volume.configMap.name), volume.configMap.items);
    // The overlay's own settings, in production; only the transport is the embedded one (no Redis here).
    const env: Record<string, string> = { ...podEnv(overlay, gateway), ITINERA_TRANSPORT: 'memory', ITINERA_LOG_LEVEL: 'silent' };
    delete env.REDIS_URL;
    fromConfigMap = await startTestBus({ env, itinerariesDir: mounted });
    fromRepo = await startTestBus({ itinerariesDir: SAMPLES_DIR });
  });
  afterAll(async () => {
    await fromConfigMap?.close();
    await fromRepo?.close();
    if (mounted) rmSync(mounted, { recursive: true, force: true });
  });

  it('is generated from the itineraries folder (npm run kube:itineraries)', () => {
    const fresh = renderItineraries(SAMPLES_DIR);
    expect(parse(committed.configmap)).toEqual(parse(fresh.configmap));
    expect(parse(committed.volume)).toEqual(parse(fresh.volume));
  });

  it('is mounted read-only where ITINERA_ITINERARIES points, in both Deployments', () => {
    for (const d of deployments(overlay)) {
      const mount = container(d).volumeMounts.find((m: { name: string }) => m.name === 'itineraries');
      expect(mount).toMatchObject({ readOnly: true, mountPath: podEnv(overlay, d).ITINERA_ITINERARIES });
      const volume = podSpec(d).volumes.find((v: { name: string }) => v.name === 'itineraries');
      expect(volume.configMap.items.length).toBe(Object.keys(find(overlay, 'ConfigMap', 'itinera-itineraries').data).length);
    }
  });

  it('loads every itinerary in a production gateway started with the overlay settings', async () => {
    const names = (node: typeof fromRepo) => JSON.stringify(node.bus.registry.list());
    expect(fromConfigMap.bus.registry.list().length).toBeGreaterThan(0);
    expect(names(fromConfigMap)).toBe(names(fromRepo));
    expect((await fetch(`${fromConfigMap.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${fromConfigMap.url}/health/live`)).status).toBe(200);
  });
});
