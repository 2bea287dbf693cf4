import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { ItineraError } from '@itinera/core';
import { codeToKebab, codeToTitle, fromFastifyError, problemOf, sendProblem } from './problem';

describe('problemOf', () => {
  it('builds an RFC 9457 body with a relative type, title, status, detail, code and errors', () => {
    const err = new ItineraError('VALIDATION_FAILED', 'The body does not match the schema.', {
      details: [{ pointer: '/amount', message: 'must be an integer' }],
    });
    expect(problemOf(err, '/itineraries/orders/messages')).toEqual({
      type: '/problems/validation-failed',
      title: 'Validation failed',
      status: 422,
      detail: 'The body does not match the schema.',
      code: 'VALIDATION_FAILED',
      instance: '/itineraries/orders/messages',
      errors: [{ pointer: '/amount', message: 'must be an integer' }],
    });
  });

  it('omits instance and errors when there are none; unknown codes are 500', () => {
    const body = problemOf(new ItineraError('SOMETHING_ODD', 'odd'));
    expect(body).toEqual({ type: '/problems/something-odd', title: 'Something odd', status: 500, detail: 'odd', code: 'SOMETHING_ODD' });
  });

  it('never leaks the message of an INTERNAL error', () => {
    const body = problemOf(new ItineraError('INTERNAL', 'ECONNREFUSED 10.0.0.7:6379 password=…'));
    expect(body.detail).not.toContain('10.0.0.7');
    expect(body.status).toBe(500);
  });

  it('code helpers', () => {
    expect(codeToKebab('ITINERARY_NOT_FOUND')).toBe('itinerary-not-found');
    expect(codeToTitle('ITINERARY_NOT_FOUND')).toBe('Itinerary not found');
  });
});

describe('fromFastifyError', () => {
  it('maps the body parser errors to the bus codes', () => {
    expect(fromFastifyError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).code).toBe('PAYLOAD_TOO_LARGE');
    expect(fromFastifyError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(fromFastifyError({ code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }).code).toBe('INVALID_JSON');
    expect(fromFastifyError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }).code).toBe('INVALID_JSON');
    expect(fromFastifyError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })).code).toBe('INVALID_JSON');
    expect(fromFastifyError({ code: 'FST_ERR_VALIDATION', statusCode: 400, message: 'bad' }).code).toBe('BAD_REQUEST');
    expect(fromFastifyError(new Error('boom')).code).toBe('INTERNAL');
    const own = new ItineraError('RATE_LIMITED', 'slow down');
    expect(fromFastifyError(own)).toBe(own);
  });
});

describe('sendProblem', () => {
  it('answers application/problem+json with the status, extension members, WWW-Authenticate and Retry-After', async () => {
    const app = Fastify();
    app.get('/u', (_req, reply) => sendProblem(reply, new ItineraError('UNAUTHORIZED', 'Send the token.'), '/u'));
    app.get('/s', (_req, reply) => sendProblem(reply, new ItineraError('SHUTTING_DOWN', 'Later.'), '/s', { id: 'c1', retryAfterMs: 2500 }));
    app.get('/t', (_req, reply) => sendProblem(reply, new Error('thrown')));
    const u = await app.inject('/u');
    expect(u.statusCode).toBe(401);
    expect(u.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(u.headers['www-authenticate']).toBe('Bearer');
    expect(u.json()).toMatchObject({ code: 'UNAUTHORIZED', status: 401, instance: '/u' });
    const s = await app.inject('/s');
    expect(s.statusCode).toBe(503);
    expect(s.headers['retry-after']).toBe('3');
    expect(s.json()).toMatchObject({ code: 'SHUTTING_DOWN', id: 'c1' });
    expect(s.json()).not.toHaveProperty('retryAfterMs');
    const t = await app.inject('/t');
    expect(t.statusCode).toBe(500);
    expect(t.json().code).toBe('INTERNAL');
    await app.close();
  });
});
