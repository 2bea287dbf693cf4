import { randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { ItineraError, type Expressions as ExpressionsContract } from '@itinera/core';

/** Guardrails for every JSONata evaluation (jsonata's own `timeout`/`stack`/`sequence` options). */
export interface ExpressionLimits {
  /** Wall-clock budget of one evaluation, checked at each evaluation step. */
  timeoutMs: number;
  /** Maximum nesting of evaluation frames (deep or runaway recursion). */
  maxDepth: number;
  /** Maximum length of one result sequence (0 = no limit). */
  maxSequence: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = { timeoutMs: 1000, maxDepth: 500, maxSequence: 0 };

/** A versioned JSONata map, as the registry holds it. */
export interface MapDocument {
  name: string;
  version: string;
  source: string;
  /** File it was loaded from (for messages). */
  file?: string;
}

/** Where `Expressions` finds maps (the registry implements it). */
export interface MapSource {
  /** The map `name@version`, or the latest version when `version` is omitted. */
  map(name: string, version?: string): MapDocument | undefined;
}

interface JsonataError {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

const MAX_INLINE = 5000;

/** `line L, column C` of a 0-based offset in `source` (single-line sources: `position N`). */
export function describePosition(source: string, position: number | undefined): string {
  if (position === undefined || position < 0) return '';
  if (!source.includes('\n')) return `position ${position}`;
  const before = source.slice(0, Math.max(0, position - 1));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** Compile-check a JSONata expression: an error message with its position, or undefined. */
export function checkExpression(source: string): string | undefined {
  try {
    jsonata(source);
    return undefined;
  } catch (err) {
    return syntaxMessage(source, err);
  }
}

function syntaxMessage(source: string, err: unknown): string {
  const e = err as JsonataError;
  const where = describePosition(source, e.position);
  return `JSONata syntax error${where ? ` at ${where}` : ''}: ${e.message ?? String(err)}`;
}

/** Built-ins available in every expression and map. */
function registerBuiltins(expr: jsonata.Expression): void {
  expr.registerFunction('uuid', () => randomUUID(), '<:s>');
  // JSONata's $string rounds numbers to 15 significant digits; this is JavaScript's String(x).
  expr.registerFunction('jsString', (x: unknown) => (x === undefined ? undefined : String(x)), '<x-:s>');
}

/**
 * Evaluates JSONata with guardrails. Each distinct inline source and each map
 * version is compiled once; compiled expressions are reentrant (jsonata builds a
 * fresh frame per evaluation), so concurrent messages share them.
 */
export class Expressions implements ExpressionsContract {
  readonly limits: ExpressionLimits;
  private readonly inline = new Map<string, jsonata.Expression>();
  private readonly maps = new Map<string, jsonata.Expression>();

  constructor(
    private readonly mapSource: MapSource = { map: () => undefined },
    limits: Partial<ExpressionLimits> = {},
  ) {
    this.limits = { ...DEFAULT_EXPRESSION_LIMITS, ...limits };
  }

  async evaluate(source: string, input: unknown, bindings?: Record<string, unknown>): Promise<unknown> {
    const expr = this.compileInline(source);
    return this.run(expr, input, bindings, `expression ${quote(source)}`, source);
  }

  async map(name: string, version: string | undefined, input: unknown, bindings?: Record<string, unknown>): Promise<unknown> {
    const doc = this.mapSource.map(name, version);
    if (!doc) {
      throw new ItineraError(
        'MAP_NOT_FOUND',
        `no map "${name}${version ? `@${version}` : ''}" in maps/: add maps/${name}@${version ?? '1.0.0'}.jsonata or fix the name`,
      );
    }
    const key = `${doc.name}@${doc.version}`;
    let expr = this.maps.get(key);
    if (!expr) {
      expr = this.compile(doc.source, `map "${key}"`);
      this.maps.set(key, expr);
    }
    return this.run(expr, input, bindings, `map "${key}"`, doc.source);
  }

  /** How many compiled expressions are cached (inline + maps). */
  get cacheSize(): number {
    return this.inline.size + this.maps.size;
  }

  private compileInline(source: string): jsonata.Expression {
    let expr = this.inline.get(source);
    if (expr) return expr;
    expr = this.compile(source, `expression ${quote(source)}`);
    // Sources come from loaded itineraries, so this stays small; the cap is a backstop.
    if (this.inline.size >= MAX_INLINE) this.inline.delete(this.inline.keys().next().value as string);
    this.inline.set(source, expr);
    return expr;
  }

  private compile(source: string, what: string): jsonata.Expression {
    let expr: jsonata.Expression;
    try {
      expr = jsonata(source, {
        timeout: this.limits.timeoutMs,
        stack: this.limits.maxDepth,
        ...(this.limits.maxSequence > 0 ? { sequence: this.limits.maxSequence } : {}),
      });
    } catch (err) {
      throw new ItineraError('EXPRESSION_FAILED', `${what} does not compile: ${syntaxMessage(source, err)}`, { cause: err });
    }
    registerBuiltins(expr);
    return expr;
  }

  private async run(expr: jsonata.Expression, input: unknown, bindings: Record<string, unknown> | undefined, what: string, source: string): Promise<unknown> {
    try {
      return await expr.evaluate(input, bindings);
    } catch (err) {
      throw this.failure(err, what, source);
    }
  }

  private failure(err: unknown, what: string, source: string): ItineraError {
    const e = err as JsonataError;
    if (e?.code === 'D1012') {
      return new ItineraError(
        'EXPRESSION_TIMEOUT',
        `${what} ran longer than ${this.limits.timeoutMs} ms and was stopped: look for an infinite loop or recursion`,
        { cause: err },
      );
    }
    if (e?.code === 'D1011' || err instanceof RangeError) {
      return new ItineraError(
        'EXPRESSION_FAILED',
        `${what} nested deeper than ${this.limits.maxDepth} evaluation frames and was stopped: look for runaway recursion, or make the recursion tail-recursive`,
        { cause: err },
      );
    }
    if (e?.code === 'D2015') {
      return new ItineraError('EXPRESSION_FAILED', `${what} built a sequence longer than ${this.limits.maxSequence} items and was stopped`, { cause: err });
    }
    const where = describePosition(source, e?.position);
    const msg = e?.message ?? String(err);
    return new ItineraError('EXPRESSION_FAILED', `${what} failed${where ? ` at ${where}` : ''}: ${msg}`, { cause: err });
  }
}

function quote(source: string): string {
  const oneLine = source.replace(/\s+/g, ' ').trim();
  return JSON.stringify(oneLine.length > 80 ? oneLine.slice(0, 77) + '...' : oneLine);
}
