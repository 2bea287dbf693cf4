import { describe, expect, it } from 'vitest';
import { defineAdapter, ItineraError, silentLogger, type MessageBox } from '@itinera/core';
import { ALL_ADAPTERS } from '../send-adapters';
import { AdapterProvider } from './adapter-provider';
import { AdapterSender } from './adapter-sender';
import { fixtureMessage } from './send-fixtures';

function thrown(fn: () => unknown): ItineraError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ItineraError);
    return err as ItineraError;
  }
  throw new Error('expected a throw');
}

const provider = (opts: ConstructorParameters<typeof AdapterProvider>[1] = {}) => new AdapterProvider(ALL_ADAPTERS, opts);

describe('AdapterProvider.resolve', () => {
  it('validates an object config and fills the defaults', () => {
    const r = provider().resolve({ adapter: 'http', address: 'http://api.test/orders', config: { method: 'PUT', retries: 2 } });
    expect(r.adapter.name).toBe('http');
    expect(r.address).toBe('http://api.test/orders');
    expect(r.options).toEqual({
      method: 'PUT',
      headers: {},
      timeoutMs: 5000,
      retries: 2,
      retryBackoffMs: 200,
      contentType: 'application/json',
      expectJson: false,
    });
  });

  it('parses the ESB string form and coerces values to the declared types', () => {
    const r = provider().resolve({
      adapter: 'http',
      address: 'http://api.test/',
      config: 'method=PATCH&timeoutMs=2000&expectJson=true&headers={"x-key":"a b"}',
    });
    expect(r.options).toMatchObject({ method: 'PATCH', timeoutMs: 2000, expectJson: true, headers: { 'x-key': 'a b' } });
    expect(typeof r.options.timeoutMs).toBe('number');
    const ws = provider().resolve({ adapter: 'ws', address: 'ws://h.test/', config: 'protocols=["a.v1"]&awaitAck=true' });
    expect(ws.options).toMatchObject({ protocols: ['a.v1'], awaitAck: true });
  });

  it('names an unknown adapter', () => {
    const err = thrown(() => provider().resolve({ adapter: 'ftp', address: 'ftp://x' }, '/steps/2/options'));
    expect(err.code).toBe('ENDPOINT_INVALID');
    expect(err.message).toMatch(/unknown adapter "ftp"; known adapters: http, queue, log, ws/);
    expect(err.details).toEqual([expect.objectContaining({ pointer: '/steps/2/options/adapter' })]);
  });

  it('names an unknown key, with a pointer', () => {
    const err = thrown(() => provider().resolve({ adapter: 'http', address: 'http://x.test/', config: 'methd=POST' }, '/steps/2/options'));
    expect(err.code).toBe('ENDPOINT_INVALID');
    expect(err.message).toMatch(/unknown option "methd" of adapter "http"/);
    expect(err.details?.[0].pointer).toBe('/steps/2/options/config/methd');
  });

  it('names a bad value and a malformed entry', () => {
    const bad = thrown(() => provider().resolve({ adapter: 'http', address: 'http://x.test/', config: 'timeoutMs=soon' }));
    expect(bad.message).toMatch(/option "timeoutMs" of adapter "http" must be an integer, got "soon"/);
    expect(bad.details?.[0].pointer).toBe('/config/timeoutMs');
    const outOfEnum = thrown(() => provider().resolve({ adapter: 'http', address: 'http://x.test/', config: { method: 'TRACE' } }));
    expect(outOfEnum.message).toMatch(/"method".*must be one of/);
    const malformed = thrown(() => provider().resolve({ adapter: 'http', address: 'http://x.test/', config: 'timeoutMs' }));
    expect(malformed.message).toMatch(/malformed config entry "timeoutMs"/);
    const wrongShape = thrown(() => provider().resolve({ adapter: 'http', address: 'http://x.test/', config: [1] as never }));
    expect(wrongShape.details?.[0].pointer).toBe('/config');
  });

  it("checks the address with the adapter's checkAddress", () => {
    const err = thrown(() => provider().resolve({ adapter: 'http', address: 'orders' }, '/x'));
    expect(err.code).toBe('ENDPOINT_INVALID');
    expect(err.details?.[0].pointer).toBe('/x/address');
    expect(thrown(() => provider().resolve({ adapter: 'queue', address: '' })).message).toMatch(/address/);
  });

  it('expands ${env:NAME} from the exposed env only', () => {
    const p = provider({ env: { ORDERS_ENDPOINT_URL: 'http://orders.test/in' } });
    expect(p.resolve({ adapter: 'http', address: '${env:ORDERS_ENDPOINT_URL}' }).address).toBe('http://orders.test/in');
    const err = thrown(() => p.resolve({ adapter: 'http', address: '${env:HOME}/x' }, '/a'));
    expect(err.code).toBe('ENDPOINT_INVALID');
    expect(err.message).toMatch(/\$\{env:HOME\}.*HOME is not an exposed environment variable/);
    expect(err.details?.[0].pointer).toBe('/a/address');
  });

  it('refuses an address outside the allow-list', () => {
    const p = provider({ allowList: ['http://allowed.test', 'orders-out'] });
    expect(p.resolve({ adapter: 'queue', address: 'orders-out' }).address).toBe('orders-out');
    const err = thrown(() => p.resolve({ adapter: 'http', address: 'http://other.test/' }));
    expect(err.code).toBe('ADDRESS_NOT_ALLOWED');
    expect(err.message).toMatch(/http:\/\/other\.test\/.*ITINERA_SEND_ALLOWLIST/);
    expect(p.validate({ adapter: 'http', address: 'http://other.test/' }, '/e')).toEqual([expect.objectContaining({ pointer: '/e/address' })]);
  });

  it('applies the SSRF guard and refuses credentials at route time, each with its code', () => {
    const p = provider();
    expect(thrown(() => p.resolve({ adapter: 'http', address: 'http://127.0.0.1:6379/' })).code).toBe('ADDRESS_REFUSED');
    expect(thrown(() => p.resolve({ adapter: 'ws', address: 'ws://[::ffff:127.0.0.1]:6379/' })).code).toBe('ADDRESS_REFUSED');
    const creds = thrown(() => p.resolve({ adapter: 'http', address: 'https://bot:s3cret@api.test/x?apikey=k2' }));
    expect(creds.code).toBe('ADDRESS_CREDENTIALS');
    expect(creds.message).not.toMatch(/s3cret|k2/);
    expect(p.validate({ adapter: 'http', address: 'http://169.254.169.254/' }, '/e')).toEqual([
      { pointer: '/e/address', message: expect.stringMatching(/rule: metadata/) },
    ]);
    // Host names are left to the connect-time check; listing or allowPrivate lets private targets through.
    expect(p.resolve({ adapter: 'http', address: 'http://api.test/' }).address).toBe('http://api.test/');
    expect(provider({ allowList: ['http://127.0.0.1:8080/'] }).resolve({ adapter: 'http', address: 'http://127.0.0.1:8080/in' }).address).toBe(
      'http://127.0.0.1:8080/in',
    );
    expect(provider({ allowPrivate: true }).resolve({ adapter: 'http', address: 'http://10.0.0.5/in' }).address).toBe('http://10.0.0.5/in');
  });

  it('validate() lists every problem without throwing', () => {
    const errors = provider().validate({ adapter: 'http', address: 'nope', config: 'retries=-1&x=1' }, '/s');
    expect(errors.map((e) => e.pointer).sort()).toEqual(['/s/address', '/s/config/retries', '/s/config/x']);
    expect(provider().validate('http://x', '/s')).toEqual([expect.objectContaining({ pointer: '/s' })]);
  });

  it('refuses two adapters with one name', () => {
    const a = defineAdapter({ name: 'http', summary: '', spec: {}, send: async () => ({}) });
    expect(() => new AdapterProvider([...ALL_ADAPTERS, a])).toThrow(/two send adapters are named "http"/);
  });

  it('normalize() gives the endpoint back with typed options', () => {
    expect(provider().normalize({ adapter: 'log', address: 'demo', config: 'level=debug' })).toEqual({
      adapter: 'log',
      address: 'demo',
      config: { level: 'debug', includeBody: true },
    });
  });
});

describe('AdapterSender', () => {
  it('resolves the endpoint and sends through the adapter, publishing queue sends to the box', async () => {
    const published: unknown[] = [];
    const box = { publish: async (queue: string, data: unknown, opts: unknown) => void published.push({ queue, data, opts }) } as unknown as MessageBox;
    const sender = new AdapterSender(provider(), { box, logger: silentLogger });
    await sender.send({ adapter: 'queue', address: 'orders-out', config: 'action=Fulfil' }, fixtureMessage({ a: 1 }));
    expect(published).toEqual([{ queue: 'orders-out', data: expect.objectContaining({ action: 'Fulfil', body: { a: 1 } }), opts: { jobId: 'step-key-1' } }]);
  });

  it('throws ENDPOINT_INVALID for a bad endpoint and TRANSPORT_UNAVAILABLE for a queue send without a box', async () => {
    const sender = new AdapterSender(provider());
    await expect(sender.send({ adapter: 'http', address: 'http://x.test/', config: 'timeoutMs=0' }, fixtureMessage())).rejects.toMatchObject({
      code: 'ENDPOINT_INVALID',
    });
    await expect(sender.send({ adapter: 'queue', address: 'q' }, fixtureMessage())).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE' });
  });

  it('passes the allow-list to the adapters', async () => {
    const sender = new AdapterSender(provider({ allowList: ['audit'] }));
    await expect(sender.send({ adapter: 'log', address: 'orders' }, fixtureMessage())).rejects.toMatchObject({ code: 'ADDRESS_NOT_ALLOWED' });
    await expect(sender.send({ adapter: 'log', address: 'audit' }, fixtureMessage())).resolves.toEqual({});
    expect(sender.resolve({ adapter: 'log', address: 'audit' })).toEqual({ adapter: 'log', address: 'audit', config: { level: 'info', includeBody: true } });
  });
});
