import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ItineraError } from '@itinera/core';
import { PROBLEM_CONTENT_TYPE, problemOf } from './problem';

/** What Node's HTTP parser reports before any route runs, as the bus's codes. */
export function clientErrorProblem(err: Error & { code?: string }): ItineraError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ItineraError(
        'HEADERS_TOO_LARGE',
        'the request headers (with the URL) are larger than the server accepts, 16 KB in all; send fewer or shorter headers',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ItineraError('REQUEST_TIMEOUT', 'the request was not received in time; send it again', { transient: true });
    default:
      return new ItineraError('BAD_REQUEST', 'the request is not valid HTTP/1.1; check the request line and headers');
  }
}

/**
 * Fastify's `clientErrorHandler`: Node rejects oversized headers and malformed requests
 * before Fastify routes them, so without this the answer is Fastify's own JSON, not
 * problem+json. Written straight to the socket, which is closed after.
 */
export function writeClientErrorProblem(err: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const problem = problemOf(clientErrorProblem(err));
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
