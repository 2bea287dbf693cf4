import jsonata from 'jsonata';
import { ItineraError, type Expressions as ExpressionsContract } from '@itinera/core';
import { compileGuarded, evaluateGuarded, failureFacts, RegexUnsupported, type FailureFacts } from './expression-compile';
import { DEFAULT_EXPRESSION_LIMITS, type ExpressionLimits } from './expression-guards';
import { ExpressionPool, type PoolOutcome } from './expression-pool';
import { checkRegexLiterals } from './expression-regex';

export { DEFAULT_EXPRESSION_LIMITS, type ExpressionLimits } from './expression-guards';

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
    const regex = checkRegexLiterals(jsonata(source).ast());
    return regex ? regexMessage(source, new RegexUnsupported(regex.source, regex.position, regex.reason)) : undefined;
  } catch (err) {
    return syntaxMessage(source, err);
  }
}

function syntaxMessage(source: string, err: unknown): string {
  if (err instanceof RegexUnsupported) return regexMessage(source, err);
  const e = err as JsonataError;
  const where = describePosition(source, e.position);
  return `JSONata syntax error${where ? ` at ${where}` : ''}: ${e.message ?? String(err)}`;
}

function regexMessage(source: string, err: RegexUnsupported): string {
  const where = describePosition(source, err.position);
  return `${err.message.replace(/^regular expression \S+/, `regular expression ${err.literal}${where ? ` at ${where}` : ''}`)}: rewrite it without backreferences or lookaround`;
}

/** Where evaluations run: on the event loop, or in a pool of worker threads. */
export interface IsolationOptions {
  isolation: 'none' | 'thread';
  /** Evaluation threads (isolation `thread`). */
  workers: number;
  /** Heap limit of each evaluation thread, MB. */
  workerMemoryMb: number;
}

export const DEFAULT_ISOLATION: IsolationOptions = { isolation: 'none', workers: 2, workerMemoryMb: 128 };

/**
 * Evaluates JSONata with guardrails. Each distinct inline source and each map
 * version is compiled once; compiled expressions are reentrant (jsonata builds a
 * fresh frame per evaluation), so concurrent messages share them.
 */
export class Expressions implements ExpressionsContract {
  readonly limits: ExpressionLimits;
  private readonly inline = new Map<string, jsonata.Expression>();
  private readonly maps = new Map<string, jsonata.Expression>();

  readonly isolation: IsolationOptions;
  private pool?: ExpressionPool;

  constructor(
    private readonly mapSource: MapSource = { map: () => undefined },
    limits: Partial<ExpressionLimits> = {},
    isolation: Partial<IsolationOptions> = {},
  ) {
    this.limits = { ...DEFAULT_EXPRESSION_LIMITS, ...limits };
    this.isolation = { ...DEFAULT_ISOLATION, ...isolation };
    if (this.isolation.isolation === 'thread') {
      this.pool = new ExpressionPool({ size: this.isolation.workers, memoryMb: this.isolation.workerMemoryMb, limits: this.limits });
    }
  }

  /** Stop the evaluation threads, if any. */
  async close(): Promise<void> {
    await this.pool?.close();
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
    try {
      // Compiled here even when evaluations run in threads: errors show at first use, named.
      return compileGuarded(source, this.limits);
    } catch (err) {
      throw new ItineraError('EXPRESSION_FAILED', `${what} does not compile: ${syntaxMessage(source, err)}`, { cause: err });
    }
  }

  private async run(expr: jsonata.Expression, input: unknown, bindings: Record<string, unknown> | undefined, what: string, source: string): Promise<unknown> {
    if (this.pool) return this.outcome(await this.pool.run(source, input, bindings), what, source);
    try {
      return await evaluateGuarded(expr, input, bindings, this.limits);
    } catch (err) {
      throw this.failure(failureFacts(err), what, source, err);
    }
  }

  private outcome(out: PoolOutcome, what: string, source: string): unknown {
    if (out.ok) return out.value;
    if ('facts' in out) throw this.failure(out.facts, what, source);
    if (out.killed === 'timeout') {
      return this.throwing(
        new ItineraError(
          'EXPRESSION_TIMEOUT',
          `${what} ${out.detail} and its evaluation thread was stopped: look for one huge built-in call or an infinite loop`,
        ),
      );
    }
    if (out.killed === 'memory') {
      return this.throwing(new ItineraError('EXPRESSION_LIMIT', `${what} was stopped: it ${out.detail} (ITINERA_JSONATA_WORKER_MEMORY_MB)`));
    }
    return this.throwing(new ItineraError('EXPRESSION_FAILED', `${what} failed: ${out.detail}`));
  }

  private throwing(err: ItineraError): never {
    throw err;
  }

  private failure(e: FailureFacts, what: string, source: string, err?: unknown): ItineraError {
    const cause = err === undefined ? {} : { cause: err };
    if (e.code === 'D1012') {
      return new ItineraError(
        'EXPRESSION_TIMEOUT',
        `${what} ran longer than ${this.limits.timeoutMs} ms and was stopped: look for an infinite loop or recursion`,
        cause,
      );
    }
    if (e.code === 'D1011' || (e.rangeError && /call stack/i.test(e.message))) {
      const depth = e.code === 'D1011' ? `deeper than ${this.limits.maxDepth} evaluation frames` : 'deeper than the JavaScript stack allows';
      return new ItineraError(
        'EXPRESSION_FAILED',
        `${what} nested ${depth} and was stopped: look for runaway recursion, or make the recursion tail-recursive`,
        cause,
      );
    }
    const limit = limitDetail(e, this.limits);
    if (limit) return new ItineraError('EXPRESSION_LIMIT', `${what} was stopped: ${limit}; it must build smaller values from its input`, cause);
    const where = describePosition(source, e.position);
    return new ItineraError('EXPRESSION_FAILED', `${what} failed${where ? ` at ${where}` : ''}: ${e.message}`, cause);
  }
}

/** What size limit a failure hit, or undefined. */
function limitDetail(e: FailureFacts, limits: ExpressionLimits): string | undefined {
  if (e.limit) return e.limit;
  if (e.code === 'D2015' || e.code === 'D2014') {
    return `a sequence would hold ${String(e.value)} items, more than ITINERA_JSONATA_MAX_ITEMS (${limits.maxSequence})`;
  }
  // What V8 throws when one allocation is too large (the limits above normally come first).
  if (e.rangeError && /invalid (string|array|typed array) length|allocation failed/i.test(e.message)) {
    return `a value grew past what one JavaScript value may hold (${e.message})`;
  }
  return undefined;
}

function quote(source: string): string {
  const oneLine = source.replace(/\s+/g, ' ').trim();
  return JSON.stringify(oneLine.length > 80 ? oneLine.slice(0, 77) + '...' : oneLine);
}
