import type { ItineraryDefinition } from '@itinera/core';

/** What the OpenAPI document reads of the itinerary registry. */
export interface ItinerarySource {
  list(): { name: string }[];
  itinerary(name: string): ItineraryDefinition;
  schemas(): Record<string, Record<string, unknown>>;
}

type Operation = Record<string, unknown> & { parameters?: { in: string; name: string; schema?: Record<string, unknown> }[] };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const GENERIC_PATH = '/itineraries/{name}/messages';
const COMPONENTS = '#/components/schemas/';

/** A component name OpenAPI accepts (`^[a-zA-Z0-9._-]+$`). */
const componentName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** `order-fulfilment` → `OrderFulfilment`, for operation ids. */
const pascal = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');

/**
 * An itinerary's JSON Schema (draft-07, named by file) as an OpenAPI 3.1 component:
 * no `$schema`/`$id`, `$ref`s to other named schemas and to its own parts rewritten
 * to component references, draft-07 tuples as 2020-12 `prefixItems`.
 */
export function toComponent(schema: unknown, self: string, names: ReadonlySet<string>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toComponent(s, self, names));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$schema' || k === '$id') continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = rewriteRef(v, self, names);
    else if (k === 'items' && Array.isArray(v)) out.prefixItems = toComponent(v, self, names);
    else if (k === 'additionalItems' && Array.isArray((schema as { items?: unknown }).items)) out.items = toComponent(v, self, names);
    else out[k] = toComponent(v, self, names);
  }
  return out;
}

function rewriteRef(ref: string, self: string, names: ReadonlySet<string>): string {
  const [target, fragment = ''] = ref.split('#');
  if (target === '') return `${COMPONENTS}${self}${fragment}`;
  const name = target.replace(/^\.\//, '').replace(/\.json$/, '');
  return names.has(name) ? `${COMPONENTS}${componentName(name)}${fragment}` : ref;
}

/**
 * Every named schema of the registry as a component, and for each itinerary that takes HTTP
 * messages a path `POST /itineraries/<name>/messages` whose body references its actions'
 * schemas and whose `Itinera-Action` lists its actions: a client generator gets one typed
 * operation per itinerary (the generic `{name}` path stays for the others).
 */
export function itineraryComponents(doc: Doc, registry: ItinerarySource): void {
  const named = registry.schemas();
  const names = new Set(Object.keys(named));
  for (const [name, schema] of Object.entries(named)) doc.components.schemas[componentName(name)] = toComponent(schema, componentName(name), names);
  const generic = doc.paths[GENERIC_PATH]?.post;
  if (!generic) return;
  const operationIds = new Set(Object.values(doc.paths).flatMap((p) => Object.values(p).map((op) => op.operationId)));
  for (const { name } of registry.list()) {
    const def = registry.itinerary(name);
    if (def.onRamps?.http === false || !/^[A-Za-z0-9._~-]+$/.test(name)) continue;
    const actions = Object.entries(def.actions ?? {});
    const byAction: Record<string, string | null> = {};
    const bodies: unknown[] = [];
    const seen = new Set<string>();
    let open = actions.length === 0;
    for (const [action, a] of actions) {
      let ref: string | undefined;
      if (typeof a.schema === 'string' && names.has(a.schema)) ref = `${COMPONENTS}${componentName(a.schema)}`;
      else if (a.schema && typeof a.schema === 'object') {
        const inline = componentName(`${name}.${action}`);
        doc.components.schemas[inline] = toComponent(a.schema, inline, names);
        ref = `${COMPONENTS}${inline}`;
      }
      byAction[action] = ref ?? null;
      if (!ref) open = true;
      else if (!seen.has(ref)) {
        bodies.push({ $ref: ref });
        seen.add(ref);
      }
    }
    if (open) bodies.push({ description: 'An action without a schema: any JSON value.' });
    const schema = bodies.length === 1 ? bodies[0] : { anyOf: bodies };
    const parameters = (generic.parameters ?? [])
      .filter((p) => !(p.in === 'path' && p.name === 'name'))
      .map((p) =>
        p.in === 'header' && p.name === 'itinera-action' && actions.length > 0
          ? { ...p, required: true, schema: { type: 'string', enum: actions.map(([a]) => a) } }
          : p,
      );
    let operationId = `send${pascal(name)}`;
    while (operationIds.has(operationId)) operationId += 'Message';
    operationIds.add(operationId);
    const mapping = actions.map(([a]) => `\`${a}\`: ${byAction[a] ? byAction[a]!.slice(COMPONENTS.length) : 'any JSON'}`).join(', ');
    doc.paths[`/itineraries/${name}/messages`] = {
      post: {
        ...generic,
        operationId,
        tags: ['Itineraries'],
        summary: `Run a message through ${name}${def.description ? `: ${def.description}` : ''}`,
        description: `Version ${def.version} (latest). Body by action: ${mapping || 'any JSON (no actions declared)'}.`,
        parameters,
        requestBody: { required: true, content: { 'application/json': { schema } } },
        'x-itinera-actions': byAction,
      },
    };
  }
}
