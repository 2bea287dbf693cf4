import { describe, expect, it } from 'vitest';
import { EndpointGuard, endpointKey } from '@itinera/adapters';
import { Metrics } from '@itinera/observability';
import { endpointLabels, MAX_ENDPOINT_LABELS, registerEndpointMetrics } from './endpoint-metrics';

const lines = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
const ok = async () => ({ status: 200 });

/** One ENDPOINT_BUSY on `key`: concurrency 1, no queue, one call held while a second comes. */
async function refuseOnce(guard: EndpointGuard, key: string): Promise<void> {
  let release!: () => void;
  const held = guard.call(key, {}, 5000, () => new Promise<{ status: number }>((r) => (release = () => r({ status: 200 }))));
  await expect(guard.call(key, {}, 5000, ok)).rejects.toMatchObject({ code: 'ENDPOINT_BUSY' });
  release();
  await held;
}

describe('endpoint metrics', () => {
  it('labels allow-list endpoints first, then the first ones met, the rest `other`', () => {
    const cap = endpointLabels(['https://api.example.com/orders', 'wss://push.example.com/feed', 'queue:box'], 3);
    expect(cap.value('http:h1')).toBe('http:h1');
    expect(cap.value('http:h2')).toBe('other');
    // Allow-listed endpoints keep their series although the cap was reached: they came first.
    expect(cap.value(endpointKey('http', 'https://api.example.com/orders/7'))).toBe('http:https://api.example.com:443/orders');
    expect(cap.value(endpointKey('ws', 'wss://push.example.com/feed'))).toBe('ws:wss://push.example.com:443/feed');
  });

  it(`caps the endpoint label at ${MAX_ENDPOINT_LABELS} series; endpoints folded into other add up`, async () => {
    const metrics = new Metrics();
    const guard = new EndpointGuard({ concurrency: 1, queue: 0, queueWaitMs: 100, breakerFailures: 5, halfOpenMs: 1000 });
    registerEndpointMetrics(metrics, guard, ['https://api.example.com/orders']);
    for (let i = 0; i < MAX_ENDPOINT_LABELS + 10; i++) await guard.call(`http:https//h${i}.example.com/x`, {}, 5000, ok);
    // A scrape meets h0..h59 in that order; the late ones come after.
    await metrics.render();
    await refuseOnce(guard, 'http:https//h0.example.com/x');
    await refuseOnce(guard, 'http:https//late1.example.com/x');
    await refuseOnce(guard, 'http:https//late2.example.com/x');
    const text = await metrics.render();
    const states = lines(text, 'itinera_endpoint_circuit_state');
    // The allow-list entry took a slot before any traffic: h0..h48 keep theirs, the rest share `other`.
    expect(states).toHaveLength(MAX_ENDPOINT_LABELS);
    expect(states).toContain('itinera_endpoint_circuit_state{endpoint="other"} 0');
    expect(states.find((l) => l.includes(`h${MAX_ENDPOINT_LABELS - 1}.`))).toBeUndefined();
    expect(lines(text, 'itinera_endpoint_rejected_total').sort()).toEqual([
      'itinera_endpoint_rejected_total{endpoint="http:https//h0.example.com/x",reason="ENDPOINT_BUSY"} 1',
      'itinera_endpoint_rejected_total{endpoint="other",reason="ENDPOINT_BUSY"} 2',
    ]);
  });

  it('itinera_endpoint_rejected_total never goes back when the guard forgets an endpoint', async () => {
    const metrics = new Metrics();
    const guard = new EndpointGuard({ concurrency: 1, queue: 0, queueWaitMs: 100, breakerFailures: 5, halfOpenMs: 1000 });
    registerEndpointMetrics(metrics, guard, ['https://a.example.com/x']);
    const a = endpointKey('http', 'https://a.example.com/x');
    await refuseOnce(guard, a);
    const before = lines(await metrics.render(), 'itinera_endpoint_rejected_total');
    expect(before).toEqual([`itinera_endpoint_rejected_total{endpoint="${a}",reason="ENDPOINT_BUSY"} 1`]);
    // 1000 other endpoints fill the guard's cache: the idle, least recently used `a` is dropped.
    for (let i = 0; i < 1000; i++) await guard.call(`http:https//n${i}.example.com/x`, {}, 5000, ok);
    expect(guard.rejections()).toEqual([]);
    expect(lines(await metrics.render(), 'itinera_endpoint_rejected_total')).toEqual(before);
  });
});
