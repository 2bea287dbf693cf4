import { randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { checkResult, installGuards, jsonataOptions, jsonSize, LimitExceeded, needsSequenceCheck, type ExpressionLimits } from './expression-guards';
import { rewriteEquality } from './expression-builtins';
import { PLAIN_BUDGET, plainWeight } from './expression-plain';
import { checkRegexLiterals } from './expression-regex';

/**
 * Compiling and running one guarded JSONata expression, shared by the event loop
 * and the evaluation threads (`expression-worker.ts`), so both run the very same
 * thing and report failures the same way.
 */

/** A regular-expression literal the linear-time engine cannot run (found at compile time). */
export class RegexUnsupported extends Error {
  constructor(
    readonly literal: string,
    readonly position: number | undefined,
    readonly reason: string,
  ) {
    super(`regular expression ${literal} is not supported by the linear-time engine (${reason})`);
  }
}

/** Compile with every guard: jsonata's options, RE2 regexes (checked now), size-checked built-ins. */
export function compileGuarded(source: string, limits: ExpressionLimits): jsonata.Expression {
  const options = jsonataOptions(limits);
  const expr = jsonata(source, options);
  // jsonata reads its options object at each evaluation: set `sequence` now that the AST is known.
  if (needsSequenceCheck(expr.ast())) options.sequence = limits.maxSequence;
  const regex = checkRegexLiterals(expr.ast());
  if (regex) throw new RegexUnsupported(regex.source, regex.position, regex.reason);
  const weight = plainWeight(expr.ast());
  // Before the guards: `=` and `!=` become calls of the guarded deep equality.
  rewriteEquality(expr.ast());
  registerBuiltins(expr);
  installGuards(expr, limits);
  if (weight !== undefined) {
    // The same expression without the exit hook, for small inputs (expression-plain.ts).
    const fast = jsonata(source, jsonataOptions(limits));
    registerBuiltins(fast);
    (expr as Guarded)[PLAIN] = { fast, weight };
  }
  return expr;
}

const PLAIN = Symbol('itinera.plain');
type Guarded = jsonata.Expression & { [PLAIN]?: { fast: jsonata.Expression; weight: number } };

/** Whether a compiled expression runs without its exit hook (tests). */
export function isPlain(expr: jsonata.Expression): boolean {
  return (expr as Guarded)[PLAIN] !== undefined;
}

/** Evaluate a guarded expression; the result is checked before it leaves. */
export async function evaluateGuarded(
  expr: jsonata.Expression,
  input: unknown,
  bindings: Record<string, unknown> | undefined,
  limits: ExpressionLimits,
): Promise<unknown> {
  const plain = (expr as Guarded)[PLAIN];
  // A plain expression reads no bindings; its input decides its cost.
  const small = plain !== undefined && jsonSize(input, PLAIN_BUDGET / plain.weight, false) * plain.weight <= PLAIN_BUDGET;
  const result = await (small ? plain.fast : expr).evaluate(input, bindings);
  checkResult(result, limits);
  return result;
}

/** Built-ins available in every expression and map. */
function registerBuiltins(expr: jsonata.Expression): void {
  expr.registerFunction('uuid', () => randomUUID(), '<:s>');
  // JSONata's $string rounds numbers to 15 significant digits; this is JavaScript's String(x).
  expr.registerFunction('jsString', (x: unknown) => (x === undefined ? undefined : String(x)), '<x-:s>');
}

/** What a failure was, as plain data (it crosses from an evaluation thread). */
export interface FailureFacts {
  code?: string;
  position?: number;
  message: string;
  value?: unknown;
  /** V8's RangeError (stack overflow or an allocation too large). */
  rangeError?: boolean;
  /** The size limit hit (LimitExceeded). */
  limit?: string;
}

export function failureFacts(err: unknown): FailureFacts {
  let e = err as { code?: string; position?: number; message?: string; value?: unknown; error?: unknown };
  // $eval wraps the failure of the expression it ran: report that one.
  while (e?.code === 'D3121' && e.error) e = e.error as typeof e;
  const facts: FailureFacts = { message: e?.message ?? String(err) };
  if (typeof e?.code === 'string') facts.code = e.code;
  if (typeof e?.position === 'number') facts.position = e.position;
  if (e?.value !== undefined && (typeof e.value !== 'object' || e.value === null)) facts.value = e.value;
  if (e instanceof RangeError) facts.rangeError = true;
  if (e instanceof LimitExceeded) facts.limit = e.detail;
  return facts;
}
