import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ErrorDetail, ItineraError, type Schemas as SchemasContract } from '@itinera/core';
import { readableSchemaErrors } from './schema-errors';

/** The ajv set-up every schema in Itinera is compiled with. */
export function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    // `verbose` keeps the failing data and parent schema, which the readable messages quote.
    verbose: true,
    // Catch typos in schema keywords, but accept the usual loose typing of hand-written schemas.
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    logger: false,
  });
  addFormats(ajv);
  // Editor annotations (VS Code reads them); the readable messages use patternErrorMessage.
  for (const keyword of ['patternErrorMessage', 'errorMessage', 'markdownDescription', 'deprecationMessage']) ajv.addKeyword({ keyword });
  return ajv;
}

const MAX_INLINE = 1000;

/**
 * JSON Schema validation for action schemas and `validate` steps: named schemas
 * from `schemas/` (referenced by file name without `.json`) and inline schemas,
 * each compiled once.
 */
export class Schemas implements SchemasContract {
  private readonly ajv = createAjv();
  private readonly named = new Map<string, ValidateFunction>();
  private readonly inline = new Map<string, ValidateFunction>();
  private readonly names: Set<string>;
  private readonly invalid = new Map<string, string>();

  constructor(schemas: Record<string, Record<string, unknown>> | ReadonlyMap<string, Record<string, unknown>> = {}) {
    const entries = schemas instanceof Map ? [...schemas.entries()] : Object.entries(schemas);
    this.names = new Set(entries.map(([n]) => n));
    // Added before compiling any, so named schemas can `$ref` each other by name.
    for (const [name, schema] of entries) {
      try {
        this.ajv.addSchema(withoutId(schema), name);
      } catch (err) {
        this.invalid.set(name, err instanceof Error ? err.message : String(err));
      }
    }
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Validate `data`; an empty list means valid. Pointers point into `data`. */
  validate(schema: string | Record<string, unknown>, data: unknown): ErrorDetail[] {
    const fn = this.compiled(schema);
    if (fn(data)) return [];
    return readableSchemaErrors(fn.errors);
  }

  /** Compile-check a schema (load time): an error message, or undefined when it compiles. */
  check(schema: string | Record<string, unknown>): string | undefined {
    try {
      this.compiled(schema);
      return undefined;
    } catch (err) {
      return err instanceof ItineraError ? err.message : String(err);
    }
  }

  private compiled(schema: string | Record<string, unknown>): ValidateFunction {
    if (typeof schema === 'string') {
      let fn = this.named.get(schema);
      if (fn) return fn;
      if (!this.names.has(schema)) {
        const known = [...this.names].sort();
        throw new ItineraError('SCHEMA_NOT_FOUND', `no schema named "${schema}" in schemas/; known: ${known.length ? known.join(', ') : '(none)'}`);
      }
      const invalid = this.invalid.get(schema);
      fn = this.compile(() => {
        if (invalid) throw new Error(invalid);
        return this.ajv.getSchema(schema) as ValidateFunction;
      }, `schema "${schema}"`);
      this.named.set(schema, fn);
      return fn;
    }
    const key = JSON.stringify(schema);
    let fn = this.inline.get(key);
    if (fn) return fn;
    fn = this.compile(() => this.ajv.compile(schema), 'inline schema');
    // Inline schemas come from loaded itineraries, so the cache stays small; the cap is a backstop.
    if (this.inline.size >= MAX_INLINE) this.inline.delete(this.inline.keys().next().value as string);
    this.inline.set(key, fn);
    return fn;
  }

  private compile(build: () => ValidateFunction, what: string): ValidateFunction {
    try {
      return build();
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new ItineraError('INVALID_SCHEMA', `${what} is not a valid JSON Schema (draft-07): ${msg}`, { cause: err });
    }
  }
}

/** A named schema is known by its file name; its own `$id` would register it twice. */
function withoutId(schema: Record<string, unknown>): Record<string, unknown> {
  if (!('$id' in schema)) return schema;
  const { $id: _id, ...rest } = schema;
  return rest;
}
