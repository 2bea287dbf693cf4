import { applySpec, joinPointer, type ErrorDetail, type LoadCheckContext, type StepService } from '@itinera/core';
import { checkExpression } from './expressions';
import { checkTrack } from './activity-tracker.check';
import { isObject } from './load-files';
import { closest } from './suggest';

/** What the itinerary checks can see: the services, and what else was loaded. */
export interface CheckContext {
  services: ReadonlyMap<string, StepService<any>>;
  hasAdapter(name: string): boolean;
  hasInvokable(name: string): boolean;
  hasMap(name: string, version?: string): boolean;
  mapVersions(name: string): string[];
  mapNames(): string[];
  hasPolicy(name: string, version?: string): boolean;
  policyVersions(name: string): string[];
  policyNames(): string[];
  hasSchema(name: string): boolean;
  schemaNames(): string[];
  /** Compile-check an inline JSON Schema: an error message or undefined. */
  checkSchema(schema: Record<string, unknown>): string | undefined;
  /** An endpoint's config against its adapter's spec (policy-params.check.ts). */
  checkEndpoint?: LoadCheckContext['checkEndpoint'];
}

const list = (names: string[]): string => (names.length ? names.join(', ') : '(none)');

/**
 * The checks the JSON Schema cannot express: names that must exist, options
 * against each service's spec, stages, JSONata that must compile, unique ids.
 * Written defensively: it runs on documents the schema may have rejected, so
 * one pass reports every problem.
 */
export function checkItinerary(doc: unknown, file: string, ctx: CheckContext): ErrorDetail[] {
  if (!isObject(doc)) return [];
  const errors: ErrorDetail[] = [];
  const add = (pointer: string, message: string) => errors.push({ file, pointer, message });

  if (isObject(doc.actions)) {
    for (const [action, def] of Object.entries(doc.actions)) {
      if (!isObject(def)) continue;
      const at = joinPointer('actions', action, 'schema');
      if (typeof def.schema === 'string' && !ctx.hasSchema(def.schema)) {
        add(at, `no schema "${def.schema}" in schemas/: create schemas/${def.schema}.json or fix the name; known: ${list(ctx.schemaNames())}`);
      } else if (isObject(def.schema)) {
        const problem = ctx.checkSchema(def.schema);
        if (problem) add(at, problem);
      }
    }
  }

  if (isObject(doc.access) && isObject(doc.actions)) {
    // An access entry for an action the contract does not have protects nothing: a typo.
    const actions = Object.keys(doc.actions);
    for (const action of Object.keys(doc.access)) {
      if (action !== '*' && !Object.hasOwn(doc.actions, action)) {
        const near = closest(action, actions);
        add(joinPointer('access', action), `no action "${action}" in /actions${near ? ` (did you mean "${near}"?)` : ''}; its actions are: ${list(actions)}`);
      }
    }
  }

  if (!Array.isArray(doc.steps)) return errors;
  const ids = new Map<string, number>();
  let firstSend: number | undefined;
  doc.steps.forEach((step, i) => {
    if (!isObject(step)) return;
    const at = `/steps/${i}`;
    if (step.stage === 'receive' && firstSend !== undefined) {
      add(
        `${at}/stage`,
        `a "receive" step cannot follow a "send" step (/steps/${firstSend}): receive steps run before publication, so move it up or make it "send"`,
      );
    } else if (step.stage !== 'receive' && firstSend === undefined) firstSend = i;
    if (typeof step.id === 'string') {
      const first = ids.get(step.id);
      if (first === undefined) ids.set(step.id, i);
      else add(`${at}/id`, `duplicate step id "${step.id}" (also /steps/${first}/id): step ids must be unique in an itinerary`);
    }
    if (typeof step.when === 'string') {
      const problem = checkExpression(step.when);
      if (problem) add(`${at}/when`, problem);
    }
    checkTrack(step.track, `${at}/track`, add);
    const resolver = isObject(step.resolver) ? step.resolver : undefined;
    if (resolver) checkResolver(resolver, `${at}/resolver`, ctx, add);
    if (typeof step.service === 'string') checkService(step, at, resolver, file, ctx, errors);
  });
  return errors;
}

function checkResolver(r: Record<string, unknown>, at: string, ctx: CheckContext, add: (p: string, m: string) => void): void {
  const version = typeof r.version === 'string' ? r.version : undefined;
  if (r.type === 'rules' && typeof r.policy === 'string') {
    if (!ctx.hasPolicy(r.policy)) {
      add(
        `${at}/policy`,
        `no policy "${r.policy}" in policies/: create it or fix the name; deployed: ${list(ctx.policyNames())}${hint(r.policy, ctx.policyNames())}`,
      );
    } else if (version && !ctx.hasPolicy(r.policy, version)) {
      add(
        `${at}/version`,
        `policy "${r.policy}" has no version ${version}; deployed versions: ${list(ctx.policyVersions(r.policy))} (omit "version" for the latest)`,
      );
    }
  }
  if (r.type !== 'expression') return;
  const hasExpr = typeof r.expression === 'string';
  const hasMap = typeof r.map === 'string';
  if (hasExpr === hasMap) {
    add(at, 'an expression resolver needs exactly one of "expression" (inline JSONata) or "map" (a map in maps/)');
    return;
  }
  if (hasExpr) {
    const problem = checkExpression(r.expression as string);
    if (problem) add(`${at}/expression`, problem);
  } else {
    const map = r.map as string;
    if (!ctx.hasMap(map)) {
      add(`${at}/map`, `no map "${map}" in maps/: add maps/${map}@1.0.0.jsonata or fix the name; known: ${list(ctx.mapNames())}${hint(map, ctx.mapNames())}`);
    } else if (version && !ctx.hasMap(map, version)) {
      add(`${at}/version`, `map "${map}" has no version ${version}; deployed versions: ${list(ctx.mapVersions(map))} (omit "version" for the latest)`);
    }
  }
}

function checkService(
  step: Record<string, unknown>,
  at: string,
  resolver: Record<string, unknown> | undefined,
  file: string,
  ctx: CheckContext,
  errors: ErrorDetail[],
): void {
  const name = step.service as string;
  const service = ctx.services.get(name);
  if (!service) {
    const known = [...ctx.services.keys()].sort();
    errors.push({ file, pointer: `${at}/service`, message: `unknown service "${name}"; known services: ${list(known)}${hint(name, known)}` });
    return;
  }
  const stage = step.stage === 'receive' || step.stage === 'send' ? step.stage : step.stage === undefined ? 'send' : undefined;
  if (stage && service.stages && !service.stages.includes(stage)) {
    const pointer = step.stage === undefined ? `${at}/service` : `${at}/stage`;
    const allowed = service.stages.map((s) => `"${s}"`).join(' or ');
    errors.push({
      file,
      pointer,
      message: `service "${name}" cannot run in the "${stage}" stage${step.stage === undefined ? ' (the default)' : ''}: set "stage" to ${allowed}`,
    });
  }
  if (step.options !== undefined && !isObject(step.options)) return;
  const options = (step.options ?? {}) as Record<string, unknown>;
  const staticParams = resolver?.type === 'static' && isObject(resolver.params) ? resolver.params : {};
  // Rules and expression resolvers supply params at run time: required options may come from them.
  const partial = resolver !== undefined && resolver.type !== 'static';
  const spec = applySpec(service.spec, { ...options, ...staticParams }, { what: `service "${name}"`, partial });
  for (const e of spec.errors) {
    const key = e.pointer.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    const base = key !== undefined && key in staticParams ? `${at}/resolver/params` : `${at}/options`;
    errors.push({ file, pointer: base + e.pointer, message: e.message });
  }
  if (spec.errors.length || !service.check) return;
  const checkCtx = loadCheckContext(ctx, `${at}/options`, file);
  try {
    for (const e of service.check(spec.value, checkCtx)) errors.push({ ...e, file: e.file ?? file });
  } catch (err) {
    // A service's own check must not take the whole load down with a stack trace.
    errors.push({
      file,
      pointer: `${at}/options`,
      message: `the "${name}" service could not check its options: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

/** What a step service's own `check` sees: the registry's look-ups, at `pointer` of `file`. */
export function loadCheckContext(ctx: CheckContext, pointer: string, file: string): LoadCheckContext {
  return {
    pointer,
    file,
    hasMap: (n, v) => ctx.hasMap(n, v),
    hasPolicy: (n, v) => ctx.hasPolicy(n, v),
    hasSchema: (n) => ctx.hasSchema(n),
    hasInvokable: (n) => ctx.hasInvokable(n),
    hasAdapter: (n) => ctx.hasAdapter(n),
    checkExpression,
    ...(ctx.checkEndpoint ? { checkEndpoint: ctx.checkEndpoint } : {}),
  };
}

function hint(name: string, known: string[]): string {
  const near = closest(name, known);
  return near ? ` (did you mean "${near}"?)` : '';
}
