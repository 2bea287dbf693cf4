import { joinPointer, jsonCopy, type ErrorDetail, type FieldSpec, type LoadCheckContext, type StepContext } from '@itinera/core';
import { paramsInvalid } from './step-results';

/** A value a step produces: a literal, an inline JSONata expression, or a named map. */
export interface PayloadParams {
  value?: unknown;
  expression?: string;
  map?: string;
  version?: string;
}

const FACTS = '{ body, action, headers, context, state, message, session, env }';

/** The `value` / `expression` / `map` / `version` options, described for `what`. */
export function payloadSpec(
  what: string,
  examples: { value: unknown; expression: string; map: string },
  opts: { withValue?: boolean } = {},
): Record<string, FieldSpec> {
  const spec: Record<string, FieldSpec> = {};
  if (opts.withValue !== false) {
    spec.value = { type: 'any', description: `${what} as a literal JSON value. Set at most one of value, expression and map.`, examples: [examples.value] };
  }
  spec.expression = {
    type: 'string',
    description: `Inline JSONata producing ${what}; its input is the facts ${FACTS}, so it reads body.x, state.y, context.z.`,
    examples: [examples.expression],
  };
  spec.map = { type: 'string', description: `Name of a JSONata map in maps/ producing ${what} from the same facts.`, examples: [examples.map] };
  spec.version = { type: 'string', description: 'Version of the map (omitted: the latest deployed).', examples: ['1.0.0'] };
  return spec;
}

const SOURCES = ['value', 'expression', 'map'] as const;

export function payloadSources(p: PayloadParams): (typeof SOURCES)[number][] {
  return SOURCES.filter((k) => p[k] !== undefined);
}

/**
 * Build the value from whichever source is set, or `fallback()` when none is.
 * Throws STEP_PARAMS_INVALID when more than one is set (a resolver merged over options).
 */
export async function buildPayload(ctx: StepContext, p: PayloadParams, fallback: () => unknown): Promise<unknown> {
  const set = payloadSources(p);
  if (set.length > 1) throw paramsInvalid(`step "${ctx.step.id}" sets ${set.map((s) => `"${s}"`).join(' and ')}: set only one of them`);
  if (p.value !== undefined) return jsonCopy(p.value);
  if (p.expression !== undefined) return ctx.runtime.expressions.evaluate(p.expression, ctx.facts());
  if (p.map !== undefined) return ctx.runtime.expressions.map(p.map, p.version, ctx.facts());
  return fallback();
}

/** Load-time checks: one source at most, the expression compiles, the map (version) exists. */
export function checkPayload(options: Record<string, unknown>, lc: LoadCheckContext, sources: readonly string[] = SOURCES): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const at = (key: string) => lc.pointer + joinPointer(key);
  const set = sources.filter((k) => options[k] !== undefined);
  if (set.length > 1) errors.push({ pointer: at(set[1]), message: `set only one of ${sources.map((s) => `"${s}"`).join(', ')} (found ${set.join(' and ')})` });
  if (typeof options.expression === 'string') {
    const problem = lc.checkExpression(options.expression);
    if (problem) errors.push({ pointer: at('expression'), message: problem });
  }
  const version = typeof options.version === 'string' ? options.version : undefined;
  if (typeof options.map === 'string') {
    if (!lc.hasMap(options.map))
      errors.push({ pointer: at('map'), message: `no map "${options.map}" in maps/: add maps/${options.map}@1.0.0.jsonata or fix the name` });
    else if (version && !lc.hasMap(options.map, version))
      errors.push({ pointer: at('version'), message: `map "${options.map}" has no version ${version} (omit "version" for the latest)` });
  } else if (version !== undefined) {
    errors.push({ pointer: at('version'), message: '"version" applies to "map": set "map" too, or remove "version"' });
  }
  return errors;
}
