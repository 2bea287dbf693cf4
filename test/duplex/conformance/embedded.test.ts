import { startTestBus } from '../../support/bus';
import { freePort } from '../../support/ports';
import { describeDuplexConformance } from './duplex.conformance';

/**
 * The duplex conformance suite on the embedded box: one process, one in-memory session
 * store. A second embedded node would not share its sessions, so "the other node" is the
 * same node after a reconnect; resuming across transports is still across transports.
 */
describeDuplexConformance('embedded box (one node)', async (env) => {
  const tcpPort = await freePort();
  const bus = await startTestBus({ env: { ...env, ITINERA_TCP_PORT: String(tcpPort) } });
  const node = { name: 'embedded', url: bus.url, tcpPort };
  return { nodes: [node, node], crossNode: false, stop: () => bus.close() };
});
