/**
 * The HTTP baseline: a bare Fastify route on the bus's path, answering the JSON
 * the bench-reply itinerary answers (same body limit, no logger, as the bus).
 */
import Fastify from 'fastify';
import { cpuSeconds, serve } from './serve';

serve(async () => {
  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  app.post('/itineraries/:name/messages', async (_req, reply) => reply.code(200).send({ ok: true, status: 'received' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    info: { url: `http://127.0.0.1:${port}` },
    handlers: { cpu: () => cpuSeconds() },
    cleanup: () => app.close(),
  };
});
