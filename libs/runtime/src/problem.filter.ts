import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ItineraError } from '@itinera/core';
import { sendProblem } from '@itinera/adapters';

/** Nest's own HTTP errors (an unknown route, above all) as problem+json with a stable code. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    const err =
      exception instanceof ItineraError
        ? exception
        : status === 404
          ? new ItineraError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; see GET /itineraries for what is deployed`)
          : new ItineraError('INTERNAL', exception instanceof Error ? exception.message : 'internal error');
    void sendProblem(reply, err, req.url);
  }
}
