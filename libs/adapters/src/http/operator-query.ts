import { ItineraError } from '@itinera/core';

/** Parsing of the operator routes' query parameters: every mistake is BAD_REQUEST with the parameter's pointer. */

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 1000;

const bad = (name: string, message: string) => new ItineraError('BAD_REQUEST', message, { details: [{ pointer: `/${name}`, message }] });

export function parsePageLimit(raw: string | number | undefined, dflt = PAGE_DEFAULT, max = PAGE_MAX): number {
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw bad('limit', `limit must be an integer from 1 to ${max}; got "${raw}"`);
  return n;
}

/** An ISO time or epoch milliseconds. */
export function parseTimeParam(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(t)) throw bad(name, `${name} must be an ISO time (2024-05-01T10:00:00Z) or epoch milliseconds; got "${raw}"`);
  return t;
}

/** A text filter: absent when empty. */
export const textParam = (raw: string | undefined): string | undefined => (raw === undefined || raw === '' ? undefined : raw);
