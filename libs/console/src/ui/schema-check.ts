import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export interface SchemaProblem {
  pointer: string;
  message: string;
}

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null };
const compiled = new Map<string, Validate>();

function compile(schema: Record<string, unknown>): Validate {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    // The bus validates with Ajv too: the same draft (2020-12 when the schema says so, else draft-07) and formats.
    const is2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
    const ajv = is2020 ? new Ajv2020({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
    addFormats(ajv as any);
    v = ajv.compile(schema) as Validate;
    compiled.set(key, v);
  }
  return v;
}

/** The JSON text's problems: a syntax error, or each place the schema rejects (JSON pointer + message). */
export function checkJson(text: string, schema?: Record<string, unknown>): { value?: unknown; problems: SchemaProblem[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problems: [{ pointer: '', message: `not JSON: ${(err as Error).message}` }] };
  }
  if (!schema) return { value, problems: [] };
  let validate: Validate;
  try {
    validate = compile(schema);
  } catch (err) {
    return { value, problems: [{ pointer: '', message: `the action's schema does not compile: ${(err as Error).message}` }] };
  }
  if (validate(value)) return { value, problems: [] };
  return {
    value,
    problems: (validate.errors ?? []).map((e) => ({
      pointer: e.instancePath || '/',
      message: e.message ?? 'is invalid',
    })),
  };
}

/**
 * The action's JSON Schema from GET /itineraries/{name}/schemas, whichever way it nests it:
 * `{ actions: { A: { schema } } }`, `{ actions: { A: schema } }`, `{ schemas: { A } }` or `{ A }`.
 */
export function pickSchema(data: any, action: string | undefined): Record<string, unknown> | undefined {
  if (!data || !action) return undefined;
  const isSchema = (x: any) =>
    x && typeof x === 'object' && !Array.isArray(x) && (x.type !== undefined || x.properties || x.$ref || x.allOf || x.anyOf || x.oneOf);
  const candidates = [
    data.actions?.[action]?.schema,
    data.actions?.[action],
    data.schemas?.[action]?.schema,
    data.schemas?.[action],
    data[action]?.schema,
    data[action],
  ];
  return candidates.find(isSchema);
}
