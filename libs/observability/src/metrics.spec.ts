import { describe, expect, it } from 'vitest';
import { LabelCap } from './label-cap';
import { MAX_SEND_HOSTS, Metrics, hostOf } from './metrics';

const lines = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('Metrics (prom-client)', () => {
  it('records steps in seconds per itinerary, step and outcome', async () => {
    const m = new Metrics();
    m.step('orders', 'validate', 'completed', 12);
    m.step('orders', 'validate', 'completed', 8);
    const text = await m.render();
    expect(lines(text, 'itinera_step_duration_seconds_count')).toEqual([
      'itinera_step_duration_seconds_count{itinerary="orders",step="validate",outcome="completed"} 2',
    ]);
    expect(lines(text, 'itinera_step_duration_seconds_sum')[0]).toMatch(/ 0\.02\d*$/);
    expect(text).toContain('itinera_step_duration_seconds_bucket{le="0.01",itinerary="orders",step="validate",outcome="completed"} 1');
  });

  it('keeps two buses apart and appends the process metrics to each', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.messageAccepted('orders', 'http');
    expect(lines(await a.render(), 'itinera_messages_accepted_total')).toHaveLength(1);
    const other = await b.render();
    expect(lines(other, 'itinera_messages_accepted_total')).toHaveLength(0);
    expect(lines(other, 'process_cpu_seconds_total')).toHaveLength(1);
  });

  it('caps endpoint hosts: the first ones keep their series, later ones are `other`', async () => {
    const m = new Metrics();
    m.limitHosts(['https://api.example.com/orders']);
    for (let i = 0; i < MAX_SEND_HOSTS + 5; i++) m.sent('http', `https://h${i}.example.com/x?token=secret`, 'ok');
    m.sent('http', 'https://api.example.com/orders/1', 'SEND_FAILED');
    const sent = lines(await m.render(), 'itinera_send_total');
    expect(sent).toHaveLength(MAX_SEND_HOSTS + 1);
    expect(sent).toContain('itinera_send_total{adapter="http",host="api.example.com",outcome="SEND_FAILED"} 1');
    expect(sent).toContain('itinera_send_total{adapter="http",host="other",outcome="ok"} 6');
    expect(sent.join('\n')).not.toContain('secret');
  });

  it('reads collected gauges and counters on scrape', async () => {
    const m = new Metrics();
    let depth = 3;
    let refused = 5;
    m.collected('gauge', 'itinera_test_depth', 'A depth.', ['queue'], (set) => set({ queue: 'q' }, depth));
    m.collected('counter', 'itinera_test_refused_total', 'Refusals.', ['reason'], (set) => set({ reason: 'BUSY' }, refused));
    expect(lines(await m.render(), 'itinera_test_depth')).toEqual(['itinera_test_depth{queue="q"} 3']);
    depth = 1;
    refused = 7;
    const text = await m.render();
    expect(lines(text, 'itinera_test_depth')).toEqual(['itinera_test_depth{queue="q"} 1']);
    expect(lines(text, 'itinera_test_refused_total')).toEqual(['itinera_test_refused_total{reason="BUSY"} 7']);
    expect(text).toContain('# TYPE itinera_test_refused_total counter');
  });
});

describe('hostOf and LabelCap', () => {
  it('reduces an address to its host, never its credentials or path', () => {
    expect(hostOf('https://user:pw@API.example.com:8443/a/b?c=d')).toBe('api.example.com:8443');
    expect(hostOf('orders.fulfilment')).toBe('local');
    expect(hostOf('ws://127.0.0.1:9000')).toBe('127.0.0.1:9000');
  });

  it('passes the first N distinct values, then `other`', () => {
    const cap = new LabelCap(2);
    expect(['a', 'b', 'c', 'a', 'd'].map((v) => cap.value(v))).toEqual(['a', 'b', 'other', 'a', 'other']);
  });
});
