import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { clientErrorProblem, writeClientErrorProblem } from './client-error';

const err = (code: string) => Object.assign(new Error(code), { code });

/** A socket stand-in: collects what is written, records whether it was destroyed. */
function fakeSocket(): PassThrough & { written: string } {
  const s = Object.assign(new PassThrough(), { written: '' });
  s.on('data', (d: Buffer) => (s.written += d.toString()));
  // destroy(err) emits it, as Node's HTTP server handles on real sockets.
  s.on('error', () => undefined);
  return s;
}

describe('client errors (before routing) as problem+json', () => {
  it('maps Node parser errors to the bus codes', () => {
    expect(clientErrorProblem(err('HPE_HEADER_OVERFLOW'))).toMatchObject({ code: 'HEADERS_TOO_LARGE', status: 431 });
    expect(clientErrorProblem(err('ERR_HTTP_REQUEST_TIMEOUT'))).toMatchObject({ code: 'REQUEST_TIMEOUT', status: 408 });
    expect(clientErrorProblem(err('HPE_INVALID_METHOD'))).toMatchObject({ code: 'BAD_REQUEST', status: 400 });
  });

  it('writes a complete problem+json answer and closes the socket', async () => {
    const socket = fakeSocket();
    writeClientErrorProblem(err('HPE_HEADER_OVERFLOW'), socket);
    await new Promise((r) => setImmediate(r));
    const [head, body] = socket.written.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain('Content-Type: application/problem+json; charset=utf-8');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(head).toContain('Connection: close');
    expect(JSON.parse(body)).toMatchObject({ type: '/problems/headers-too-large', status: 431, code: 'HEADERS_TOO_LARGE' });
    expect(socket.destroyed).toBe(true);
  });

  it('writes nothing on a reset connection', () => {
    const socket = fakeSocket();
    writeClientErrorProblem(err('ECONNRESET'), socket);
    expect(socket.written).toBe('');
  });
});
