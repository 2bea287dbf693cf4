import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestBus } from '@itinera/testing';
import { dotStructure, mermaidStructure, xmlProblems } from '../../libs/engine/src/graph/graph-check.testing';

describe('GET /itineraries/{name}/graph', () => {
  let node: Awaited<ReturnType<typeof startTestBus>>;
  const TOKEN = 'graph-operator-token';

  beforeAll(async () => {
    node = await startTestBus({ env: { ITINERA_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => node?.close());

  const get = (path: string, token: string | null = TOKEN) => http(`${node.url}${path}`, token === null ? {} : { token });

  it('draws SVG by default, and Mermaid, DOT and the JSON model on request', async () => {
    const svg = await get('/itineraries/orders/graph');
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(xmlProblems(svg.body)).toEqual([]);
    expect(svg.body).toContain('data-node="decide"');

    const mermaid = await get('/itineraries/orders/graph?format=mermaid');
    expect(mermaid.headers.get('content-type')).toMatch(/^text\/vnd\.mermaid/);
    expect(mermaidStructure(mermaid.body).problems).toEqual([]);

    const dot = await get('/itineraries/orders/graph?format=dot&version=1.0.0');
    expect(dot.headers.get('content-type')).toMatch(/^text\/vnd\.graphviz/);
    expect(dotStructure(dot.body).clusters).toEqual(['cluster_receive', 'cluster_send']);

    const json = await get('/itineraries/orders/graph?format=json');
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ name: 'orders', publication: { after: 'reply', before: 'order-number' } });
    expect(json.body.nodes.find((n: { id: string }) => n.id === 'decide')).toMatchObject({
      kind: 'step',
      stage: 'send',
      resolver: { label: 'rules order-decision@1.0.0' },
    });
  });

  it('answers problem+json: an unknown itinerary or version 404, an unknown format 400, no operator 401', async () => {
    const missing = await get('/itineraries/nope/graph');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'ITINERARY_NOT_FOUND' });
    expect((await get('/itineraries/orders/graph?version=9.9.9')).body).toMatchObject({ code: 'ITINERARY_NOT_FOUND' });
    const format = await get('/itineraries/orders/graph?format=png');
    expect(format.status).toBe(400);
    expect(format.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(format.body).toMatchObject({ code: 'BAD_REQUEST', detail: expect.stringContaining('use one of: svg, mermaid, dot, json') });
    expect((await get('/itineraries/orders/graph', null)).status).toBe(401);
  });
});
