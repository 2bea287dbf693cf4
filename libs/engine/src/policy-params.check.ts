import { applySpec, joinPointer, parseConfigString, type ErrorDetail, type SendAdapter, type StepService } from '@itinera/core';
import semver from 'semver';
import { loadCheckContext, type CheckContext } from './itinerary.check';
import { isObject } from './load-files';

/** A parsed document and the file it came from. */
export interface SourceDoc {
  file: string;
  value: Record<string, unknown>;
}

/**
 * Policy params become step params at run time, so they are checked at load
 * like step options: for every step with a rules resolver, each rule's params
 * and the defaults, merged over the step's options, against the service's spec
 * and its own check (JSONata compiles, maps and adapters exist, endpoint
 * configs fit the adapter's spec). Errors point into the policy file for keys
 * the policy sets, into the itinerary for keys from the step's options.
 */
export function checkPolicyParams(itineraries: readonly SourceDoc[], policies: readonly SourceDoc[], ctx: CheckContext): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  for (const itinerary of itineraries) {
    const steps = itinerary.value.steps;
    if (!Array.isArray(steps)) continue;
    steps.forEach((step, i) => {
      if (!isObject(step) || !isObject(step.resolver) || step.resolver.type !== 'rules' || typeof step.resolver.policy !== 'string') return;
      const service = typeof step.service === 'string' ? ctx.services.get(step.service) : undefined;
      if (!service || (step.options !== undefined && !isObject(step.options))) return;
      const version = typeof step.resolver.version === 'string' ? step.resolver.version : undefined;
      const policy = pick(policies, step.resolver.policy, version);
      if (!policy) return;
      const use: StepUse = { itinerary, at: `/steps/${i}`, step, service, options: (step.options ?? {}) as Record<string, unknown> };
      errors.push(...checkPolicyFor(policy, use, ctx));
    });
  }
  return errors;
}

interface StepUse {
  itinerary: SourceDoc;
  at: string;
  step: Record<string, unknown>;
  service: StepService<any>;
  options: Record<string, unknown>;
}

/** The policy a resolver runs: the pinned version, or the latest. */
function pick(policies: readonly SourceDoc[], name: string, version: string | undefined): SourceDoc | undefined {
  let best: SourceDoc | undefined;
  for (const p of policies) {
    const v = p.value.version;
    if (p.value.name !== name || typeof v !== 'string' || !semver.valid(v)) continue;
    if (version !== undefined ? v === version : !best || semver.gt(v, best.value.version as string)) best = p;
  }
  return best;
}

function checkPolicyFor(policy: SourceDoc, use: StepUse, ctx: CheckContext): ErrorDetail[] {
  const doc = policy.value;
  const targets: [string, unknown][] = [];
  if (doc.defaults !== undefined) targets.push(['/defaults', doc.defaults]);
  if (Array.isArray(doc.rules)) doc.rules.forEach((r, j) => isObject(r) && targets.push([joinPointer('rules', j, 'params'), r.params]));
  // In merge mode a rule's params may be completed by another rule's: required options are not checked per rule.
  const partial = doc.mode === 'merge';
  const errors: ErrorDetail[] = [];
  const stepName = `step "${String(use.step.id)}" of ${String(use.itinerary.value.name)}@${String(use.itinerary.value.version)}, ${use.itinerary.file} ${use.at}`;
  for (const [base, params] of targets) {
    if (!isObject(params)) continue;
    // Where a problem with one key lies: the policy sets it, or the step's options do.
    const place = (pointer: string, message: string): ErrorDetail => {
      const key = pointer.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
      if (key !== undefined && !(key in params) && key in use.options) {
        return { file: use.itinerary.file, pointer: `${use.at}/options${pointer}`, message: `${message} (with the params in ${policy.file} ${base})` };
      }
      return { file: policy.file, pointer: base + pointer, message: `${message} (params of ${stepName})` };
    };
    const spec = applySpec(use.service.spec, { ...use.options, ...params }, { what: `service "${use.service.name}"`, partial });
    for (const e of spec.errors) errors.push(place(e.pointer, e.message));
    if (spec.errors.length || !use.service.check) continue;
    const lc = loadCheckContext(ctx, '', policy.file);
    try {
      for (const e of use.service.check(spec.value, lc)) errors.push(place(e.pointer, e.message));
    } catch (err) {
      errors.push(place('', `the "${use.service.name}" service could not check these params: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  return errors;
}

/**
 * An endpoint's adapter config against that adapter's spec (the same coercion
 * the adapter provider applies at run time), and its address when it has no
 * `${env:...}` placeholder. An unknown adapter is reported by the step's own check.
 */
export function endpointChecker(adapters: readonly SendAdapter<any>[]) {
  return (endpoint: { adapter?: unknown; address?: unknown; config?: unknown }, pointer: string): ErrorDetail[] => {
    const adapter = typeof endpoint.adapter === 'string' ? adapters.find((a) => a.name === endpoint.adapter) : undefined;
    if (!adapter) return [];
    const errors: ErrorDetail[] = [];
    const at = pointer + joinPointer('config');
    let raw: Record<string, unknown> | undefined;
    if (typeof endpoint.config === 'string') {
      const parsed = parseConfigString(endpoint.config, at);
      errors.push(...parsed.errors);
      raw = parsed.value;
    } else if (isObject(endpoint.config)) raw = endpoint.config;
    if (raw) errors.push(...applySpec(adapter.spec, raw, { pointer: at, coerceStrings: true, what: `adapter "${adapter.name}"` }).errors);
    const address = typeof endpoint.address === 'string' ? endpoint.address.trim() : undefined;
    if (address && !address.includes('${') && adapter.checkAddress) {
      const problem = adapter.checkAddress(address);
      // The address itself stays out of the message: it may carry credentials.
      if (problem) errors.push({ pointer: pointer + joinPointer('address'), message: `address of adapter "${adapter.name}": ${problem}` });
    }
    return errors;
  };
}
