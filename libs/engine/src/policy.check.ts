import { joinPointer, type ErrorDetail } from '@itinera/core';
import { isObject } from './load-files';
import { checkRulePath, isKnownOperator, knownOperators } from './rules-engine';
import { ORDERING_OPERATORS, typeName } from './rules.operators';
import { closest } from './suggest';

const MAX_CONDITION_DEPTH = 64;

/**
 * What the policy schema cannot express: every operator must be one
 * json-rules-engine knows, and every path must be plain JSONPath (no scripts).
 */
export function checkPolicy(doc: unknown, file: string): ErrorDetail[] {
  if (!isObject(doc) || !Array.isArray(doc.rules)) return [];
  const errors: ErrorDetail[] = [];
  const coerce = doc.coerce === true;
  doc.rules.forEach((rule, i) => {
    if (isObject(rule)) walk(rule.conditions, joinPointer('rules', i, 'conditions'), 0, file, errors, coerce);
  });
  return errors;
}

/** A literal value the operator can never accept (types are strict): a mistake in the policy, not in a message. */
function literalProblem(operator: string, value: unknown, coerce: boolean): string | undefined {
  if (isObject(value) && Object.hasOwn(value, 'fact')) return undefined;
  const base = operator.split(':').at(-1) ?? operator;
  const decorated = operator.includes(':');
  if (ORDERING_OPERATORS.has(base) && !decorated) {
    const numeric = typeof value === 'number' || (coerce && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)));
    if (!numeric) return `"${base}" compares numbers, but the value is ${typeName(value)}: write a number (e.g. 10, not "10")`;
  }
  if ((base === 'in' || base === 'notIn') && !decorated && !Array.isArray(value)) {
    return `"${base}" needs an array of values, got ${typeName(value)}: write e.g. ["a", "b"]`;
  }
  return undefined;
}

function walk(node: unknown, at: string, depth: number, file: string, errors: ErrorDetail[], coerce: boolean): void {
  if (!isObject(node)) return;
  if (depth > MAX_CONDITION_DEPTH) {
    errors.push({ file, pointer: at, message: `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels: flatten them` });
    return;
  }
  for (const group of ['all', 'any'] as const) {
    const items = node[group];
    if (Array.isArray(items)) items.forEach((child, i) => walk(child, `${at}/${group}/${i}`, depth + 1, file, errors, coerce));
  }
  if (node.not !== undefined) walk(node.not, `${at}/not`, depth + 1, file, errors, coerce);
  if (typeof node.operator === 'string' && !isKnownOperator(node.operator)) {
    errors.push({ file, pointer: `${at}/operator`, message: unknownOperator(node.operator) });
  } else if (typeof node.operator === 'string' && 'value' in node) {
    const problem = literalProblem(node.operator, node.value, coerce);
    if (problem) errors.push({ file, pointer: `${at}/value`, message: problem });
  }
  for (const [key, value] of [['path', node.path] as const, ['value', node.value] as const]) {
    const path = key === 'path' ? value : isObject(value) && typeof value.fact === 'string' ? value.path : undefined;
    if (typeof path !== 'string') continue;
    const problem = checkRulePath(path);
    if (problem) errors.push({ file, pointer: key === 'path' ? `${at}/path` : `${at}/value/path`, message: problem });
  }
}

function unknownOperator(name: string): string {
  const { operators, decorators } = knownOperators();
  const near = closest(name.split(':').at(-1) ?? name, operators);
  return (
    `unknown operator "${name}"${near ? ` (did you mean "${near}"?)` : ''}: use one of ${operators.join(', ')}` +
    `, optionally prefixed by a decorator (${decorators.map((d) => `${d}:`).join(', ')}), e.g. "not:in"`
  );
}

/**
 * The itinerary selector's rules must name deployed itineraries:
 * `params.itinerary` (and `params.version`, when given).
 */
export function checkSelectorPolicy(
  doc: Record<string, unknown>,
  file: string,
  itineraries: { has(name: string, version?: string): boolean; names(): string[] },
): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const targets: [string, unknown][] = [];
  if (isObject(doc.defaults)) targets.push(['/defaults', doc.defaults]);
  if (Array.isArray(doc.rules)) doc.rules.forEach((r, i) => isObject(r) && targets.push([`/rules/${i}/params`, r.params]));
  for (const [at, params] of targets) {
    if (!isObject(params)) continue;
    const { itinerary, version } = params;
    if (typeof itinerary !== 'string') {
      if (at !== '/defaults' || itinerary !== undefined)
        errors.push({ file, pointer: `${at}/itinerary`, message: 'the itinerary selector needs "itinerary": the name of the itinerary this rule picks' });
      continue;
    }
    if (!itineraries.has(itinerary)) {
      errors.push({
        file,
        pointer: `${at}/itinerary`,
        message: `no itinerary named "${itinerary}" is deployed; deployed: ${itineraries.names().join(', ') || '(none)'}`,
      });
    } else if (typeof version === 'string' && !itineraries.has(itinerary, version)) {
      errors.push({
        file,
        pointer: `${at}/version`,
        message: `itinerary "${itinerary}" has no version ${version}: use a deployed version or omit "version" for the latest`,
      });
    }
  }
  return errors;
}
