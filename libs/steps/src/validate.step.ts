import { defineStep, joinPointer, type ErrorDetail } from '@itinera/core';
import { completed, faultFrom, faulted } from './shared/step-results';

export type ValidateParams = {
  schema: string | Record<string, unknown>;
};

const SHOWN = 3;

/** The validation service: the body against a JSON Schema. */
export const validateStep = defineStep<ValidateParams>({
  name: 'validate',
  summary:
    'Validates the body against a JSON Schema (a name in schemas/ or an inline schema). A body that does not match faults the message with VALIDATION_FAILED, whose details point into the body (/body/...). In the receive stage nothing is published and the caller gets a 422.',
  spec: {
    schema: {
      type: 'any',
      description: 'The JSON Schema: the name of a file in schemas/ (without .json) or an inline schema object.',
      required: true,
      examples: ['create-order', { type: 'object', required: ['n'], properties: { n: { type: 'number' } } }],
    },
  },
  check(options, lc) {
    const s = options.schema;
    const at = lc.pointer + joinPointer('schema');
    if (typeof s === 'string')
      return lc.hasSchema(s) ? [] : [{ pointer: at, message: `no schema "${s}" in schemas/: create schemas/${s}.json or fix the name` }];
    if (s !== undefined && (s === null || typeof s !== 'object' || Array.isArray(s))) {
      return [{ pointer: at, message: '"schema" must be a schema name or an inline JSON Schema object' }];
    }
    return [];
  },
  run(ctx) {
    const schema = ctx.params.schema;
    let problems: ErrorDetail[];
    try {
      problems = ctx.runtime.schemas.validate(schema, ctx.envelope.body);
    } catch (err) {
      return faultFrom(err, 'SCHEMA_FAILED');
    }
    if (problems.length === 0) return completed;
    const details = problems.map((d) => ({ pointer: `/body${d.pointer}`, message: d.message }));
    const shown = details.slice(0, SHOWN).map((d) => `${d.pointer}: ${d.message}`);
    const more = details.length > SHOWN ? ` (and ${details.length - SHOWN} more)` : '';
    const name = typeof schema === 'string' ? `schema "${schema}"` : 'the schema';
    return faulted('VALIDATION_FAILED', `the body does not match ${name}: ${shown.join('; ')}${more}`, details);
  },
});
