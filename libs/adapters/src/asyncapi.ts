import type { FastifyInstance } from 'fastify';
import ASYNCAPI from './asyncapi.json';

/**
 * The AsyncAPI 3 document of the duplex protocol (every frame both ways, over
 * WebSocket, long polling and TCP). The committed file is the contract; the route
 * serves it with `servers` pointing at the gateway that answered.
 */
export const ASYNCAPI_DOCUMENT: Readonly<typeof ASYNCAPI> = ASYNCAPI;

/** `GET /asyncapi.json`. */
export function registerAsyncApiRoute(app: FastifyInstance): void {
  app.get('/asyncapi.json', async (req, reply) => {
    const host = req.headers.host ?? `${req.hostname}`;
    const secure = req.protocol === 'https';
    const doc = {
      ...ASYNCAPI,
      servers: {
        // The TCP duplex listens on its own port (ITINERA_TCP_PORT): its server entry stays as written.
        ...ASYNCAPI.servers,
        websocket: { ...ASYNCAPI.servers.websocket, host, protocol: secure ? 'wss' : 'ws' },
        http: { ...ASYNCAPI.servers.http, host, protocol: secure ? 'https' : 'http' },
      },
    };
    return reply.type('application/json; charset=utf-8').send(doc);
  });
}
