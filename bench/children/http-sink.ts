/**
 * The HTTP endpoint the one-publication itinerary sends to: node:http, keep-alive,
 * answers 204 to every POST after reading its body, and counts them. As cheap as an
 * endpoint can be, so the figure measures the bus, not the endpoint; its CPU is in
 * the rounds (`sinkCpuS`).
 */
import { createServer } from 'node:http';
import { cpuSeconds, serve } from './serve';

serve(async () => {
  let received = 0;
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      received++;
      res.statusCode = 204;
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    info: { url: `http://127.0.0.1:${port}` },
    handlers: { received: () => received, cpu: () => cpuSeconds() },
    cleanup: () => new Promise<void>((r) => server.close(() => r())),
  };
});
