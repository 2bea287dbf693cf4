import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from '@itinera/core';
// The published schemas editors read are the ones the loader enforces.
import itinerarySchema from '../../../schema/itinerary.schema.json';
import policySchema from '../../../schema/policy.schema.json';
import { readableSchemaErrors } from './schema-errors';
import { createAjv } from './schemas';

let validators: { itinerary: ValidateFunction; policy: ValidateFunction } | undefined;

function compiled(): { itinerary: ValidateFunction; policy: ValidateFunction } {
  if (!validators) {
    const ajv = createAjv();
    validators = { itinerary: ajv.compile(itinerarySchema), policy: ajv.compile(policySchema) };
  }
  return validators;
}

/** Check an itinerary document against schema/itinerary.schema.json. */
export function validateItineraryDocument(doc: unknown, file: string): ErrorDetail[] {
  const fn = compiled().itinerary;
  return fn(doc) ? [] : readableSchemaErrors(fn.errors, { file });
}

/** Check a policy document against schema/policy.schema.json. */
export function validatePolicyDocument(doc: unknown, file: string): ErrorDetail[] {
  const fn = compiled().policy;
  return fn(doc) ? [] : readableSchemaErrors(fn.errors, { file });
}
