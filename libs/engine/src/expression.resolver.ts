import { ItineraError, type Expressions, type Facts } from '@itinera/core';
import type { MapSource } from './expressions';
import type { Resolution } from './resolution';

/** JSONata (inline or a map) over the facts; the result object is the step's params. */
export class ExpressionResolver {
  constructor(
    private readonly expressions: Expressions,
    private readonly maps?: MapSource,
  ) {}

  async resolve(def: { expression?: string; map?: string; version?: string }, facts: Facts): Promise<Resolution> {
    let source: string;
    let result: unknown;
    if (def.map) {
      const version = this.maps?.map(def.map, def.version)?.version ?? def.version;
      source = `${def.map}@${version ?? 'latest'}`;
      result = await this.expressions.map(def.map, def.version, facts);
    } else if (def.expression) {
      source = def.expression;
      result = await this.expressions.evaluate(def.expression, facts);
    } else {
      throw new ItineraError('EXPRESSION_FAILED', 'an expression resolver needs `expression` (inline JSONata) or `map` (a map in maps/)');
    }
    if (result === null || typeof result !== 'object' || Array.isArray(result)) {
      const got = result === undefined ? 'nothing' : Array.isArray(result) ? 'an array' : JSON.stringify(result);
      throw new ItineraError(
        'EXPRESSION_FAILED',
        `expression resolver ${JSON.stringify(source)} must yield an object of params, got ${got}: make it return { "key": value, ... }`,
      );
    }
    const params = { ...(result as Record<string, unknown>) };
    return { params, decision: { type: 'expression', source, params } };
  }
}
