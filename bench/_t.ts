import { startNode, loadConfig } from '@itinera/runtime';
import { silentLogger } from '@itinera/core';
const t0 = Date.now();
(async () => {
  const config = loadConfig({ ITINERA_LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv, { port: 0, host: '127.0.0.1', itinerariesDir: '/work/main/itineraries' });
  const node = await startNode({ roles: { gateway: true, worker: true }, config, logger: silentLogger });
  console.log('started', Date.now() - t0, node.url, process.uptime());
  await node.close();
})();
