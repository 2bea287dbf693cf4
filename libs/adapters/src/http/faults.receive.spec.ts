import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ItineraError, type FaultRecord } from '@itinera/core';
import { MemoryFaultStore } from '@itinera/observability';
import { Authenticator } from '../identity/authenticator';
import { registerFaultRoutes, type FaultRepairInput } from './faults.receive';
import { sendProblem } from './problem';

function fault(id: string, at: string): FaultRecord {
  return {
    id,
    messageId: `m-${id}`,
    correlationId: `k-${id}`,
    itinerary: 'calc@1.0.0',
    step: 'guard',
    attempts: 1,
    error: { code: 'DIVIDE_BY_ZERO', message: 'no' },
    envelope: {
      id: `m-${id}`,
      correlationId: `k-${id}`,
      body: {},
      headers: {},
      context: {},
      itinerary: { name: 'calc', version: '1.0.0', cursor: 1 },
      origin: { transport: 'http' },
      trace: [],
      createdAt: at,
    },
    at,
  };
}

let app: FastifyInstance | undefined;
afterEach(async () => app?.close());

async function build(adminToken?: string) {
  const faults = new MemoryFaultStore();
  await faults.add(fault('old', '2026-01-01T00:00:00.000Z'));
  await faults.add(fault('new', '2026-01-02T00:00:00.000Z'));
  const calls: [string, FaultRepairInput | undefined][] = [];
  app = Fastify();
  app.setErrorHandler((err, req, reply) => sendProblem(reply, err, req.url));
  registerFaultRoutes(app, {
    faults,
    // Auth off: without an admin token the routes are open (the laptop), with one they need it.
    auth: new Authenticator({ mode: 'none', ...(adminToken ? { adminToken } : {}) }),
    async resubmit(id, repair) {
      calls.push([id, repair]);
      if (id !== 'new') throw new ItineraError('FAULT_NOT_FOUND', `no fault ${id}`);
      return { messageId: 'm-new', correlationId: 'k-new', itinerary: 'calc@1.0.0', faultId: id };
    },
  });
  return { app, faults, calls };
}

describe('registerFaultRoutes', () => {
  it('lists newest first without envelopes, and shows one fault whole', async () => {
    const { app } = await build();
    const list = await app.inject('/faults');
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body.faults.map((f: FaultRecord) => f.id)).toEqual(['new', 'old']);
    expect(body.faults[0]).not.toHaveProperty('envelope');
    expect((await app.inject('/faults?limit=1')).json().faults).toHaveLength(1);
    expect((await app.inject('/faults?limit=5000')).json()).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    expect((await app.inject('/faults/old')).json()).toMatchObject({ id: 'old', envelope: { id: 'm-old' } });
    expect((await app.inject('/faults/zzz')).json()).toMatchObject({ code: 'FAULT_NOT_FOUND', status: 404 });
  });

  it('resubmits with or without a repair body, answering 202 with the message', async () => {
    const { app, calls } = await build();
    const bare = await app.inject({ method: 'POST', url: '/faults/new/resubmit' });
    expect(bare.statusCode).toBe(202);
    expect(bare.json()).toEqual({ messageId: 'm-new', correlationId: 'k-new', itinerary: 'calc@1.0.0', status: 'accepted' });
    expect(bare.headers['itinera-message-id']).toBe('m-new');
    await app.inject({ method: 'POST', url: '/faults/new/resubmit', payload: { body: { n: 4 }, fromStep: 'apply' } });
    expect(calls).toEqual([
      ['new', undefined],
      ['new', { body: { n: 4 }, fromStep: 'apply' }],
    ]);
    const arr = await app.inject({ method: 'POST', url: '/faults/new/resubmit', payload: [1], headers: { 'content-type': 'application/json' } });
    expect(arr.json()).toMatchObject({ code: 'VALIDATION_FAILED', status: 422 });
  });

  it('deletes (204), then 404', async () => {
    const { app, faults } = await build();
    expect((await app.inject({ method: 'DELETE', url: '/faults/old' })).statusCode).toBe(204);
    expect(await faults.get('old')).toBeUndefined();
    expect((await app.inject({ method: 'DELETE', url: '/faults/old' })).statusCode).toBe(404);
  });

  it('with an admin token, every route needs Authorization: Bearer <token>', async () => {
    const { app, calls } = await build('s3cret');
    for (const [method, url] of [
      ['GET', '/faults'],
      ['GET', '/faults/new'],
      ['POST', '/faults/new/resubmit'],
      ['DELETE', '/faults/new'],
    ] as const) {
      for (const authorization of [undefined, 'Bearer nope', 'Bearer s3cret2', 'Basic s3cret']) {
        const r = await app.inject({ method, url, headers: authorization ? { authorization } : {} });
        expect(r.statusCode, `${method} ${url} ${authorization}`).toBe(401);
        expect(r.json().code).toBe('UNAUTHORIZED');
      }
    }
    expect(calls).toHaveLength(0);
    expect((await app.inject({ url: '/faults', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
  });
});
