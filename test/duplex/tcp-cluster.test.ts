import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, startCluster, waitFor, type Cluster, type NodeProcess } from '@itinera/testing';
import { RawTcp } from './support/tcp-probe';

/** The port a gateway's TCP duplex took (ITINERA_TCP_PORT=0), from its "tcp duplex listening" log line. */
const tcpPort = (node: NodeProcess): Promise<number> =>
  waitFor(() => node.logs.find((l) => l.msg === 'tcp duplex listening')?.port as number | undefined, `${node.name}'s TCP port`);

describe('TCP duplex on BullMQ: two gateways, real processes', { timeout: 120_000 }, () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ gateways: 2, workers: 1, env: { ITINERA_TCP_PORT: '0', ITINERA_HEARTBEAT_MS: '1000' } });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  it('a session opened over TCP on one gateway resumes over TCP on the other, then over WebSocket on the first', async () => {
    const [one, two] = await Promise.all(cluster.gateways.map(tcpPort));
    const a = await RawTcp.open(one!);
    const session = a.session!;
    a.send({ type: 'send', id: 'a', itinerary: 'calculator', action: 'AddTo', body: { n: 5 } });
    a.send({ type: 'send', id: 'b', itinerary: 'calculator', action: 'AddTo', body: { n: 6 } });
    await a.next((f) => f.type === 'callback' && f.seq === 2, 30_000);
    expect(a.callbacks().map((f) => f.body.result)).toEqual([5, 11]);
    a.destroy();

    // Handled up to 1, nothing acknowledged: gateway two replays 2, then carries on the sequence.
    const b = await RawTcp.open(two!, { type: 'hello', session, token: a.token, lastSeq: 1 });
    expect(b.frames[0]).toMatchObject({ type: 'welcome', session, resumed: true });
    expect((await b.next((f) => f.type === 'callback', 30_000)).seq).toBe(2);
    b.send({ type: 'send', id: 'c', itinerary: 'calculator', action: 'Clear' });
    const eq = await b.next((f) => f.type === 'callback' && f.seq === 3, 30_000);
    expect(eq.body).toEqual({ equation: '0 + 5 + 6 = 11' });
    b.send({ type: 'ack', seq: 3 });
    b.destroy();

    const c = await RawDuplex.open(cluster.gateways[0]!.url, { type: 'hello', session, token: a.token, lastSeq: 3 });
    expect(c.frames[0]).toMatchObject({ type: 'welcome', session, resumed: true });
    c.send({ type: 'send', id: 'd', itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
    const next = await c.next((f) => f.type === 'callback', 30_000);
    expect([next.seq, next.body]).toEqual([4, { result: 1 }]);
    await c.close();
  });
});
