import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Enough of `kustomize build` for the tests of deploy/kubernetes: resources (files and
 * folders), generators (literals, env files; create and merge), patches (strategic merge,
 * by name or by target), images and namespace. A field it does not implement fails the
 * load rather than being skipped. Generated names get no hash suffix here.
 */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
};

/** Every file a kustomization names, so a test can check none is left unread. */
export interface Built {
  objects: K8sObject[];
  files: string[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches', 'images', 'configMapGenerator', 'secretGenerator']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'IngressClass']);

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  envs?: string[];
  files?: string[];
}

function yamlDocs(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const v = d.toJS() as K8sObject | null;
    return v ? [v] : [];
  });
}

function mustExist(file: string, from: string): string {
  if (!existsSync(file)) throw new Error(`${from} names ${file}, which does not exist`);
  return file;
}

/** KEY=value lines; `#` comments and blank lines skipped (kustomize's env file rules). */
export function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) throw new Error(`${file}: "${line}" is not KEY=value`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Strategic merge, approximated: maps merge, lists of named items merge by name, other lists are replaced. */
export function strategicMerge(base: any, patch: any): any {
  if (isMap(base) && isMap(patch)) {
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = strategicMerge(base[k], v);
    }
    return out;
  }
  const named = (l: unknown): l is { name: string }[] => Array.isArray(l) && l.every((x) => isMap(x) && typeof x.name === 'string');
  if (named(base) && named(patch)) {
    const out = [...base];
    for (const item of patch) {
      const i = out.findIndex((x) => x.name === item.name);
      if (i >= 0) out[i] = strategicMerge(out[i], item);
      else out.push(item);
    }
    return out;
  }
  return patch;
}

function matches(obj: K8sObject, target: { kind?: string; name?: string; labelSelector?: string }): boolean {
  if (target.kind && obj.kind !== target.kind) return false;
  if (target.name && obj.metadata.name !== target.name) return false;
  for (const term of (target.labelSelector ?? '').split(',').filter(Boolean)) {
    const [k, v] = term.split('=');
    if (obj.metadata.labels?.[k.trim()] !== v.trim()) return false;
  }
  return true;
}

function generate(kind: 'ConfigMap' | 'Secret', g: Generator, dir: string, file: string, built: Built): void {
  const data: Record<string, string> = {};
  for (const env of g.envs ?? []) Object.assign(data, envFile(mustExist(join(dir, env), file)));
  built.files.push(...(g.envs ?? []).map((e) => join(dir, e)));
  for (const lit of g.literals ?? []) data[lit.slice(0, lit.indexOf('='))] = lit.slice(lit.indexOf('=') + 1);
  for (const f of g.files ?? []) {
    const [key, path] = f.includes('=') ? f.split('=') : [f.split('/').at(-1)!, f];
    data[key] = readFileSync(mustExist(join(dir, path), file), 'utf8');
  }
  const encode = (d: Record<string, string>) =>
    kind === 'Secret' ? Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) : d;
  const existing = built.objects.find((o) => o.kind === kind && o.metadata.name === g.name);
  const behavior = g.behavior ?? 'create';
  if (behavior === 'create') {
    if (existing) throw new Error(`${file}: ${kind} ${g.name} already exists (use behavior: merge)`);
    built.objects.push({ apiVersion: 'v1', kind, metadata: { name: g.name }, data: encode(data), ...(kind === 'Secret' ? { type: 'Opaque' } : {}) });
  } else {
    if (!existing) throw new Error(`${file}: no ${kind} ${g.name} to ${behavior}`);
    existing.data = behavior === 'merge' ? { ...existing.data, ...encode(data) } : encode(data);
  }
}

/** Build the kustomization in `dir` (its kustomization.yaml). */
export function build(dir: string): Built {
  const file = join(dir, 'kustomization.yaml');
  const k = yamlDocs(mustExist(file, dir))[0] as Record<string, any>;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length) throw new Error(`${file}: the test loader does not implement ${unsupported.join(', ')}`);
  const built: Built = { objects: [], files: [file] };

  for (const r of (k.resources ?? []) as string[]) {
    const path = mustExist(join(dir, r), file);
    if (statSync(path).isDirectory()) {
      const sub = build(path);
      built.objects.push(...sub.objects);
      built.files.push(...sub.files);
    } else {
      built.objects.push(...yamlDocs(path));
      built.files.push(path);
    }
  }
  for (const g of (k.configMapGenerator ?? []) as Generator[]) generate('ConfigMap', g, dir, file, built);
  for (const g of (k.secretGenerator ?? []) as Generator[]) generate('Secret', g, dir, file, built);

  for (const p of (k.patches ?? []) as { path?: string; patch?: string; target?: Record<string, string> }[]) {
    const patches = p.path ? yamlDocs(mustExist(join(dir, p.path), file)) : parseAllDocuments(p.patch ?? '').map((d) => d.toJS() as K8sObject);
    if (p.path) built.files.push(join(dir, p.path));
    for (const patch of patches) {
      const target = p.target ?? { kind: patch.kind, name: patch.metadata.name };
      const hits = built.objects.filter((o) => matches(o, target));
      if (!hits.length) throw new Error(`${file}: patch ${p.path ?? ''} matches nothing (${JSON.stringify(target)})`);
      for (const o of hits) {
        const merged = strategicMerge(o, { ...patch, metadata: { ...patch.metadata, name: o.metadata.name } });
        built.objects[built.objects.indexOf(o)] = merged;
      }
    }
  }

  for (const img of (k.images ?? []) as { name: string; newName?: string; newTag?: string }[]) {
    for (const o of built.objects) {
      for (const c of [...(o.spec?.template?.spec?.containers ?? []), ...(o.spec?.template?.spec?.initContainers ?? [])]) {
        const [name, tag] = (c.image as string).split(':');
        if (name === img.name) c.image = `${img.newName ?? name}:${img.newTag ?? tag ?? 'latest'}`;
      }
    }
  }
  if (k.namespace) for (const o of built.objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  return built;
}

/**
 * Validate, and name every field the schema does not know (the API server refuses those
 * under strict field validation; the generated validators allow them): a field the
 * validator never reads is not in the schema.
 */
export function validateStrict(Model: new (o: any) => { validate(): void }, obj: K8sObject): string[] {
  const objects: { path: string; value: object; read: Set<string> }[] = [];
  const track = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const read = new Set<string>();
    objects.push({ path, value, read });
    const copy = Array.isArray(value)
      ? value.map((v, i) => track(v, `${path}/${i}`))
      : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, `${path}/${k}`)]));
    return new Proxy(copy, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver);
      },
    });
  };
  // The prototype's validate on the tracked object itself: the constructor would copy it.
  Model.prototype.validate.call(track(obj, ''));
  const unknown = objects
    .filter((o) => !Array.isArray(o.value))
    .flatMap((o) =>
      Object.keys(o.value)
        .filter((k) => !o.read.has(k))
        .map((k) => `${o.path}/${k}`),
    );
  // Only the outermost: what lies under an unknown field is unknown with it.
  return unknown.filter((p) => !unknown.some((q) => p.startsWith(`${q}/`)));
}
