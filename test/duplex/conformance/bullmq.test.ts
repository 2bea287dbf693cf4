import { startCluster, type NodeProcess } from '../../support/cluster';
import { waitFor } from '../../support/ports';
import { describeDuplexConformance } from './duplex.conformance';

/** The port a gateway's TCP duplex took (ITINERA_TCP_PORT=0), from its "tcp duplex listening" log line. */
const tcpPort = (node: NodeProcess): Promise<number> =>
  waitFor(() => node.logs.find((l) => l.msg === 'tcp duplex listening')?.port as number | undefined, `${node.name}'s TCP port`);

/**
 * The duplex conformance suite on BullMQ: two gateways and a worker, separate processes on
 * one real redis-server. "The other node" is the other gateway: sessions, outboxes and
 * delivery leases live in Redis.
 */
describeDuplexConformance('BullMQ, two gateways and a worker', async (env) => {
  const cluster = await startCluster({ gateways: 2, workers: 1, env: { ...env, ITINERA_TCP_PORT: '0' } });
  const nodes = await Promise.all(cluster.gateways.map(async (g) => ({ name: g.name, url: g.url, tcpPort: await tcpPort(g) })));
  return { nodes: [nodes[0]!, nodes[1]!], crossNode: true, stop: () => cluster.stop() };
});
