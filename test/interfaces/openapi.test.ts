import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '@readme/openapi-parser';
import type { FastifyInstance } from 'fastify';
import { SAMPLES_DIR, http, startTestBus } from '@itinera/testing';

type Bus = Awaited<ReturnType<typeof startTestBus>>;
type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

/** Swagger UI and its assets: the documentation itself, not operations of the bus. */
const isDocsUi = (url: string) => url === '/docs' || url.startsWith('/docs/');

/** `/faults/:id` → `/faults/{id}`; a wildcard is the `{path}` parameter. */
const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');

/**
 * Every route of a Fastify instance as `printRoutes` shows it (commonPrefix off: one node per
 * route path). Auto-generated HEAD routes are left out, as OpenAPI documents the GET. Each parsed
 * route is checked with `hasRoute`, so a misread tree fails here rather than passing silently.
 * find-my-way prints a wildcard as a bare `*`, dropping the static part before it: its full path
 * is the documented `{path}` operation that `hasRoute` confirms (none: reported as undocumented).
 */
function registeredRoutes(app: FastifyInstance, doc: Doc): { method: string; url: string }[] {
  const stack: string[] = [];
  const out: { method: string; url: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    stack.length = depth;
    const parent = stack.join('');
    stack.push(m[2]);
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) {
      let url = parent + m[2];
      if (m[2] === '*') {
        if (isDocsUi(parent)) continue;
        const has = (u: string) => app.hasRoute({ method: method as 'GET', url: u });
        url =
          Object.keys(doc.paths)
            .map((p) => p.replace(/\{path\}$/, '*').replace(/\{([A-Za-z0-9_]+)\}/g, ':$1'))
            .find((u) => u.endsWith('/*') && u.startsWith(parent) && has(u) && doc.paths[toOpenApiPath(u)][method.toLowerCase()]) ?? `${parent}…*`;
        out.push({ method, url });
        continue;
      }
      expect(app.hasRoute({ method: method as 'GET', url }), `${method} ${url} parsed from printRoutes`).toBe(true);
      out.push({ method, url });
    }
  }
  return out;
}

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
};

describe('OpenAPI document (GET /openapi.json)', () => {
  let bus: Bus;
  let doc: Doc;
  beforeAll(async () => {
    bus = await startTestBus({ apiDocs: true });
    const res = await http(`${bus.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => bus?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: 'Itinera' } });
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });

  it('documents every registered route but the Swagger UI', async () => {
    const app = (bus.app as unknown as { getHttpAdapter(): { getInstance(): FastifyInstance } }).getHttpAdapter().getInstance();
    const routes = registeredRoutes(app, doc).filter((r) => !isDocsUi(r.url));
    // The routes PROTOCOL.md names are among them (the parse found the tree).
    for (const url of [
      '/itineraries/:name/messages',
      '/messages',
      '/messages/:id',
      '/duplex/sessions/:session/poll',
      '/health/ready',
      '/metrics',
      '/openapi.json',
    ]) {
      expect(routes.map((r) => r.url)).toContain(url);
    }
    const missing = routes.filter((r) => !doc.paths[toOpenApiPath(r.url)]?.[r.method.toLowerCase()]);
    expect(missing).toEqual([]);
    // Nothing the bus does not serve, beyond the typed per-itinerary on-ramp paths.
    const served = new Set(routes.map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.url)}`));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops).filter((k) => k !== 'head' && k !== 'parameters')) {
        if (/^\/itineraries\/[^{}/]+\/messages$/.test(path)) continue;
        expect(served.has(`${method} ${path}`), `${method} ${path}`).toBe(true);
      }
    }
  });

  it("names each sample itinerary's action schemas as components, and types its on-ramp path with them", () => {
    const schemasDir = join(SAMPLES_DIR, 'schemas');
    for (const file of readdirSync(schemasDir).filter((f) => f.endsWith('.json'))) {
      const { $schema: _draft, ...schema } = JSON.parse(readFileSync(join(schemasDir, file), 'utf8'));
      expect(doc.components.schemas[file.replace(/\.json$/, '')], file).toEqual(schema);
    }
    let typed = 0;
    for (const file of readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.json'))) {
      const def = JSON.parse(readFileSync(join(SAMPLES_DIR, file), 'utf8'));
      const op = doc.paths[`/itineraries/${def.name}/messages`]?.post;
      if (def.onRamps?.http === false) {
        expect(op, def.name).toBeUndefined();
        continue;
      }
      expect(op, def.name).toBeDefined();
      const body = JSON.stringify(op.requestBody);
      const action = op.parameters.find((p: any) => p.in === 'header' && p.name === 'itinera-action');
      for (const [name, a] of Object.entries<any>(def.actions ?? {})) {
        expect(action.schema.enum, `${def.name} ${name}`).toContain(name);
        if (typeof a.schema !== 'string') continue;
        expect(doc.components.schemas[a.schema], a.schema).toBeDefined();
        expect(body).toContain(`"#/components/schemas/${a.schema}"`);
        expect(op['x-itinera-actions'][name]).toBe(`#/components/schemas/${a.schema}`);
        typed++;
      }
    }
    expect(typed).toBeGreaterThanOrEqual(7); // calculator's four operand actions, chat's three
    // Operation ids are unique (client generators name methods by them).
    const ids = Object.values(doc.paths).flatMap((p) =>
      Object.values(p)
        .map((op: any) => op.operationId)
        .filter(Boolean),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('documents problem+json errors with their codes', () => {
    const send = doc.paths['/itineraries/{name}/messages'].post;
    const codes = (status: number) => send.responses[status].content['application/problem+json'].schema.allOf[1].properties.code.enum;
    expect(codes(400)).toContain('INVALID_IDEMPOTENCY_KEY');
    expect(codes(415)).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
    expect(codes(422)).toContain('VALIDATION_FAILED');
    expect(codes(503)).toContain('TRANSPORT_UNAVAILABLE');
    expect(send.responses[202].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Accepted' });
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
  });

  it("answers requests that break a declared schema with the project's problem+json and codes", async () => {
    const calc = `${bus.url}/itineraries/calculator/messages`;
    const h = { 'itinera-action': 'AddTo' };
    // Headers: a key with a space is the handler's own INVALID_IDEMPOTENCY_KEY; no Content-Type is 415.
    expectProblem(await http(calc, { body: { n: 1 }, headers: { ...h, 'idempotency-key': 'a b' } }), 400, 'INVALID_IDEMPOTENCY_KEY');
    const noType = await fetch(calc, { method: 'POST', body: '{"n":1}', headers: h });
    expect(noType.status).toBe(415);
    expect(await noType.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    // Query strings: BAD_REQUEST with a pointer to the parameter.
    const twice = await http(`${calc}?version=1.0.0&version=2.0.0`, { body: { n: 1 }, headers: h });
    expectProblem(twice, 400, 'BAD_REQUEST');
    expect(twice.body.errors).toEqual([{ pointer: '/version', message: expect.any(String) }]);
    for (const limit of ['0', '1001', 'many']) {
      const res = await http(`${bus.url}/faults?limit=${limit}`);
      expectProblem(res, 400, 'BAD_REQUEST');
      expect(res.body.errors[0].pointer).toBe('/limit');
    }
    const session = await http(`${bus.url}/duplex/sessions`, { method: 'POST' });
    const poll = await http(`${bus.url}/duplex/sessions/${session.body.session}/poll?after=-1`, { token: session.body.token });
    expectProblem(poll, 400, 'BAD_REQUEST');
    expect(poll.body.errors[0].pointer).toBe('/after');
    // The body is still checked by the itinerary: the action's schema, 422 with a pointer into it.
    const bad = await http(calc, { body: { n: 'one' }, headers: h });
    expectProblem(bad, 422, 'VALIDATION_FAILED');
    // And what passes is answered as declared.
    const ok = await http(calc, { body: { n: 1 }, headers: h });
    expect(ok.status).toBe(202);
    expect(Object.keys(ok.body).sort()).toEqual(['correlationId', 'itinerary', 'messageId', 'status']);
  });

  it('serves Swagger UI at /docs when ITINERA_API_DOCS is on', async () => {
    const res = await fetch(`${bus.url}/docs/`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('asks what GET /itineraries asks when ITINERA_AUTH=required: a credential, for the document and the UI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'itinera-openapi-'));
    const keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify([{ name: 'reader', key: 'openapi-reader-key-0123456789', scopes: [] }]));
    const secured = await startTestBus({ apiDocs: true, env: { ITINERA_AUTH: 'required', ITINERA_API_KEYS_FILE: keysFile } });
    try {
      expectProblem(await http(`${secured.url}/openapi.json`), 401, 'UNAUTHORIZED');
      expect((await fetch(`${secured.url}/docs/json`)).status).toBe(401);
      const withKey = await http(`${secured.url}/openapi.json`, { headers: { 'x-api-key': 'openapi-reader-key-0123456789' } });
      expect(withKey.status).toBe(200);
      expect(withKey.body.paths['/itineraries/calculator/messages']).toBeDefined();
    } finally {
      await secured.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves no /docs when ITINERA_API_DOCS is off, and the document still', async () => {
    const off = await startTestBus({ apiDocs: false });
    try {
      expect((await fetch(`${off.url}/docs/`)).status).toBe(404);
      expect((await http(`${off.url}/openapi.json`)).body.paths['/messages']).toBeDefined();
    } finally {
      await off.close();
    }
  });
});
