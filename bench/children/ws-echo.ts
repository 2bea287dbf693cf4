/** The WebSocket baseline: a raw `ws` server that echoes every text frame (no compression). */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { serve } from './serve';

serve(async () => {
  const server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    info: { url: `ws://127.0.0.1:${port}` },
    handlers: {},
    cleanup: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
});
