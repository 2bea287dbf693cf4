import { basename, join, resolve } from 'node:path';
import semver from 'semver';
import type { ErrorDetail, ItineraryDefinition, PolicyDefinition, SendAdapter, StepService } from '@itinera/core';
import { validateItineraryDocument, validatePolicyDocument } from './document-schemas';
import { checkExpression, type MapDocument } from './expressions';
import { checkItinerary, type CheckContext } from './itinerary.check';
import { ItineraryRegistry } from './itinerary.registry';
import { displayPath, isDirectory, isObject, listFiles, readJson, readText } from './load-files';
import { checkPolicy, checkSelectorPolicy } from './policy.check';
import { checkPolicyParams, endpointChecker } from './policy-params.check';
import { SELECTOR_POLICY } from './itinerary.selector';
import { Schemas } from './schemas';
import { Versioned } from './versioned';

/** What the loader checks itineraries against: the registered services, adapters and invokables. */
export interface LoadDeps {
  services: readonly StepService<any>[];
  adapters: readonly SendAdapter<any>[];
  /**
   * Names of the user's TypeScript steps (the `invoke` service). Omitted: not
   * known here (e.g. the CLI), so any name is accepted.
   */
  invokables?: readonly string[];
}

export interface LoadResult {
  /** Set only when there is no error. */
  registry?: ItineraryRegistry;
  /** Every problem found, as `file: /pointer: message` lines. */
  errors: ErrorDetail[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const MAP_FILE = /^(.+)@([^@]+)\.jsonata$/;

interface Doc<T> {
  file: string;
  value: T;
}

/**
 * Load an itineraries folder: `*.json` itineraries, `policies/*.json`,
 * `maps/<name>@<version>.jsonata` and `schemas/*.json`. Reports every error at
 * once, each with its file and JSON pointer; returns a registry only when there
 * is none.
 */
export async function loadRegistry(dir: string, deps: LoadDeps): Promise<LoadResult> {
  const root = resolve(dir);
  if (!(await isDirectory(root))) {
    return {
      errors: [
        {
          code: 'ITINERARIES_NOT_FOUND',
          file: displayPath(root),
          pointer: '',
          message: 'itineraries folder not found: create it, or name the right folder (ITINERA_ITINERARIES, `itinera validate <dir>`)',
        },
      ],
    };
  }
  const errors: ErrorDetail[] = [];

  const schemaDocs: Record<string, Record<string, unknown>> = {};
  const schemaFiles = new Map<string, string>();
  for (const src of await listFiles(join(root, 'schemas'), '.json')) {
    const read = await readJson(src);
    if ('error' in read) errors.push(read.error);
    else if (!isObject(read.value)) errors.push({ code: 'SCHEMA_INVALID', file: src.file, pointer: '', message: 'a JSON Schema must be an object' });
    else {
      const name = basename(src.abs, '.json');
      schemaDocs[name] = read.value;
      schemaFiles.set(name, src.file);
    }
  }
  const schemas = new Schemas(schemaDocs);
  for (const [name, file] of schemaFiles) {
    const problem = schemas.check(name);
    if (problem) errors.push({ code: 'SCHEMA_INVALID', file, pointer: '', message: problem });
  }

  const maps = new Versioned<MapDocument>();
  for (const src of await listFiles(join(root, 'maps'), '.jsonata')) {
    const m = MAP_FILE.exec(basename(src.abs));
    if (!m || !NAME.test(m[1]) || !semver.valid(m[2])) {
      errors.push({
        code: 'MAP_INVALID',
        file: src.file,
        pointer: '',
        message: 'a map file must be named <name>@<semver>.jsonata (e.g. to-canonical@1.0.0.jsonata)',
      });
      continue;
    }
    const read = await readText(src);
    if ('error' in read) {
      errors.push(read.error);
      continue;
    }
    const problem = checkExpression(read.text);
    if (problem) errors.push({ code: 'MAP_INVALID', file: src.file, pointer: '', message: problem });
    maps.add(m[1], m[2], { name: m[1], version: m[2], source: read.text, file: src.file });
  }

  const policyDocs = await readDocuments(join(root, 'policies'), errors, 'POLICY_INVALID', (doc, file) => [
    ...validatePolicyDocument(doc, file),
    ...checkPolicy(doc, file),
  ]);
  const policies = versioned(policyDocs);

  const ctx: CheckContext = {
    services: new Map(deps.services.map((s) => [s.name, s])),
    hasAdapter: (n) => deps.adapters.some((a) => a.name === n),
    hasInvokable: (n) => deps.invokables === undefined || deps.invokables.includes(n),
    hasMap: (n, v) => maps.get(n, v) !== undefined,
    mapVersions: (n) => maps.versions(n),
    mapNames: () => maps.names(),
    hasPolicy: (n, v) => policies.get(n, v) !== undefined,
    policyVersions: (n) => policies.versions(n),
    policyNames: () => policies.names(),
    hasSchema: (n) => n in schemaDocs,
    schemaNames: () => Object.keys(schemaDocs).sort(),
    checkSchema: (s) => schemas.check(s),
    checkEndpoint: endpointChecker(deps.adapters),
  };
  const itineraryDocs = await readDocuments(root, errors, 'ITINERARY_INVALID', (doc, file) => [
    ...validateItineraryDocument(doc, file),
    ...checkItinerary(doc, file, ctx),
  ]);
  const itineraries = versioned(itineraryDocs);

  errors.push(...duplicates('itinerary', itineraryDocs), ...duplicates('policy', policyDocs));
  errors.push(...withCode('POLICY_PARAMS_INVALID', checkPolicyParams(itineraryDocs, policyDocs, ctx)));
  for (const { file, value } of policyDocs) {
    if (value.name === SELECTOR_POLICY) {
      errors.push(
        ...withCode(
          'POLICY_INVALID',
          checkSelectorPolicy(value, file, { has: (n, v) => itineraries.get(n, v) !== undefined, names: () => itineraries.names() }),
        ),
      );
    }
  }

  // Stable sort: one file's lines stay together and in document order.
  if (errors.length) return { errors: errors.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '')) };
  const registry = new ItineraryRegistry({
    itineraries: itineraryDocs.map((d) => d.value as unknown as ItineraryDefinition),
    policies: policyDocs.map((d) => d.value as unknown as PolicyDefinition),
    maps: maps.all(),
    schemas: schemaDocs,
  });
  return { registry, errors };
}

/** The checks' findings, each with the code of its kind (one the check set itself wins). */
function withCode(code: string, details: ErrorDetail[]): ErrorDetail[] {
  return details.map((d) => (d.code ? d : { code, ...d }));
}

/** Read, parse and check every `*.json` of a folder; unparsable files only add errors. */
async function readDocuments(
  dir: string,
  errors: ErrorDetail[],
  code: string,
  check: (doc: Record<string, unknown>, file: string) => ErrorDetail[],
): Promise<Doc<Record<string, unknown>>[]> {
  const docs: Doc<Record<string, unknown>>[] = [];
  for (const src of await listFiles(dir, '.json')) {
    const read = await readJson(src);
    if ('error' in read) {
      errors.push(read.error);
      continue;
    }
    if (!isObject(read.value)) {
      errors.push({ code, file: src.file, pointer: '', message: 'must be a JSON object with name, version and the rest of the document' });
      continue;
    }
    errors.push(...withCode(code, check(read.value, src.file)));
    docs.push({ file: src.file, value: read.value });
  }
  return docs;
}

/** Documents with a usable name@version, so references to them resolve even when they have other errors. */
function versioned(docs: Doc<Record<string, unknown>>[]): Versioned<Record<string, unknown>> {
  const out = new Versioned<Record<string, unknown>>();
  for (const { value } of docs) {
    if (typeof value.name === 'string' && typeof value.version === 'string' && semver.valid(value.version)) out.add(value.name, value.version, value);
  }
  return out;
}

function duplicates(kind: string, docs: Doc<Record<string, unknown>>[]): ErrorDetail[] {
  const byKey = new Map<string, string[]>();
  for (const { file, value } of docs) {
    if (typeof value.name !== 'string' || typeof value.version !== 'string') continue;
    const key = `${value.name}@${value.version}`;
    byKey.set(key, [...(byKey.get(key) ?? []), file]);
  }
  const errors: ErrorDetail[] = [];
  for (const [key, files] of byKey) {
    if (files.length < 2) continue;
    for (const file of files) {
      const others = files.filter((f) => f !== file).join(', ');
      errors.push({
        code: 'DUPLICATE_VERSION',
        file,
        pointer: '/version',
        message: `${kind} "${key}" is also defined in ${others}: give one of them another version (or name)`,
      });
    }
  }
  return errors;
}
