import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDetails } from '@itinera/core';
import { createEngineParts, loadRegistry } from '@itinera/engine';
import { FAKE_ADAPTERS, FAKE_SERVICES } from './fake-services';

const FIXTURES = join(__dirname, '..', 'fixtures');
const deps = { services: FAKE_SERVICES, adapters: FAKE_ADAPTERS };

/** [file in the case folder, JSON pointer, what the message must say]. */
type Expected = [string, string, RegExp];

const CASES: Record<string, Expected[]> = {
  'json-parse': [['broken.json', '/', /^invalid JSON at line 5, column 1: .*remove the trailing comma/]],
  'schema-error': [
    ['typo.json', '/setps', /^unknown property "setps": remove it or fix its spelling; allowed here: \$schema, name, version/],
    ['typo.json', '/name', /must be a kebab-case or identifier name.*got "Typo Name"/],
    ['typo.json', '/version', /must be a semantic version such as "1.0.0".*got "1.0"/],
    ['typo.json', '/steps/0/stage', /must be one of "receive", "send", got "sned"/],
    ['typo.json', '/steps/0/retry/attempts', /must be >= 1, got 0/],
  ],
  'missing-map': [
    ['itinerary.json', '/steps/0/resolver/map', /no map "endpont" in maps\/.*known: endpoint \(did you mean "endpoint"\?\)/],
    ['itinerary.json', '/steps/1/options/map', /no map "to-canonical"/],
  ],
  'policy-params': [
    ['policies/order-decision.json', '/rules/0/params/to', /option "to" of service "callback" must be one of .*\(params of step "decide" of demo@1.0.0, .*itinerary.json \/steps\/0\)/],
    ['policies/order-decision.json', '/rules/1/params/name', /option "name" of service "callback" is required/],
  ],
  'missing-policy': [
    ['itinerary.json', '/steps/0/resolver/policy', /no policy "order-decison" in policies\/.*did you mean "order-decision"/],
    ['itinerary.json', '/steps/1/resolver/version', /policy "order-decision" has no version 2.0.0; deployed versions: 1.0.0/],
  ],
  'missing-schema': [
    [
      'itinerary.json',
      '/actions/CreateOrder/schema',
      /no schema "create-ordr" in schemas\/: create schemas\/create-ordr.json or fix the name; known: create-order/,
    ],
    ['itinerary.json', '/steps/0/options/schema', /"create-ordr"/],
  ],
  'bad-options': [
    ['itinerary.json', '/steps/0/options/methd', /unknown option "methd" of service "send"; known options: adapter, address, timeoutMs/],
    ['itinerary.json', '/steps/0/options/timeoutMs', /option "timeoutMs" of service "send" must be an integer, got "soon"/],
    ['itinerary.json', '/steps/1/options/name', /option "name" of service "callback" is required/],
    ['itinerary.json', '/steps/1/resolver/params/to', /option "to" of service "callback" must be one of "caller", "group", got "everyone"/],
  ],
  'service-check': [['itinerary.json', '/steps/0/options/adapter', /no send adapter "ftp"/]],
  'stage-not-allowed': [
    ['itinerary.json', '/steps/0/stage', /service "callback" cannot run in the "receive" stage: set "stage" to "send"/],
    ['itinerary.json', '/steps/1/service', /service "reply" cannot run in the "send" stage \(the default\): set "stage" to "receive"/],
  ],
  'bad-jsonata-map': [
    ['maps/canonical.jsonata', '/', /a map file must be named <name>@<semver>.jsonata/],
    ['maps/to-canonical@1.0.0.jsonata', '/', /JSONata syntax error at line 4, column 3: /],
  ],
  'bad-jsonata-when': [['itinerary.json', '/steps/0/when', /JSONata syntax error at position 13: Unexpected end of expression/]],
  'bad-jsonata-expression': [['itinerary.json', '/steps/0/resolver/expression', /JSONata syntax error at position 20: /]],
  'unknown-operator': [
    [
      'policies/order-decision.json',
      '/rules/0/conditions/all/0/operator',
      /unknown operator "greaterThen" \(did you mean "greaterThan"\?\): use one of equal, /,
    ],
    ['policies/order-decision.json', '/rules/0/conditions/all/1/any/0/path', /script filters are not allowed in rule paths/],
  ],
  'duplicate-version': [
    ['a.json', '/version', /itinerary "orders@1.0.0" is also defined in .*duplicate-version\/b.json/],
    ['b.json', '/version', /itinerary "orders@1.0.0" is also defined in .*duplicate-version\/a.json/],
  ],
  'unknown-service': [
    [
      'itinerary.json',
      '/steps/0/service',
      /unknown service "transfrom"; known services: callback, invoke, reply, send, transform, validate \(did you mean "transform"\?\)/,
    ],
  ],
  'duplicate-step-id': [['itinerary.json', '/steps/1/id', /duplicate step id "ack" \(also \/steps\/0\/id\)/]],
  'receive-after-send': [['itinerary.json', '/steps/1/stage', /a "receive" step cannot follow a "send" step/]],
  'selector-unknown-itinerary': [
    ['policies/itinerary-selector.json', '/rules/0/params/itinerary', /no itinerary named "ordres" is deployed; deployed: orders/],
  ],
};

describe('loadRegistry: invalid folders', () => {
  it('has one fixture folder per case and one case per fixture folder', () => {
    expect(readdirSync(join(FIXTURES, 'invalid')).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, expected] of Object.entries(CASES)) {
    it(`${name}: names the file, the JSON pointer and the problem`, async () => {
      const dir = join(FIXTURES, 'invalid', name);
      const { registry, errors } = await loadRegistry(dir, deps);
      expect(registry).toBeUndefined();
      const lines = formatDetails(errors).split('\n');
      for (const [file, pointer, message] of expected) {
        const prefix = `${relative(process.cwd(), join(dir, file))}: ${pointer}: `;
        const line = lines.find((l) => l.startsWith(prefix) && message.test(l.slice(prefix.length)));
        expect(line, `expected a line "${prefix}${message}" in:\n${lines.join('\n')}`).toBeDefined();
      }
      expect(lines).toHaveLength(expected.length);
    });
  }

  it('reports a missing folder as one error, not a crash', async () => {
    const { errors } = await loadRegistry(join(FIXTURES, 'no-such-folder'), deps);
    expect(formatDetails(errors)).toMatch(/no-such-folder: \/: itineraries folder not found/);
  });
});

describe('loadRegistry: the valid folder', () => {
  it('loads every version of every document, $schema or not', async () => {
    const { registry, errors } = await loadRegistry(join(FIXTURES, 'valid'), { ...deps, invokables: ['calculator'] });
    expect(errors).toEqual([]);
    expect(registry!.list().map((i) => [i.name, i.versions, i.latest])).toEqual([
      ['calculator', ['1.0.0'], '1.0.0'],
      ['orders', ['1.0.0', '1.1.0'], '1.1.0'],
    ]);
    expect(registry!.hasMap('to-canonical', '1.0.0') && registry!.hasMap('to-canonical', '1.1.0')).toBe(true);
    expect(registry!.policies().map((p) => `${p.name}@${p.version}`)).toEqual(['itinerary-selector@1.0.0', 'order-decision@1.0.0']);
    expect(registry!.hasSchema('create-order')).toBe(true);
    expect(registry!.queueOnRamps()).toEqual([{ queue: 'orders-in', concurrency: 2, itinerary: 'orders' }]);
  });

  it('checks invokables only when they are named', async () => {
    const { errors } = await loadRegistry(join(FIXTURES, 'valid'), { ...deps, invokables: ['other'] });
    expect(formatDetails(errors)).toMatch(/valid\/calculator.json: \/steps\/0\/options\/handler: no invokable "calculator"/);
  });

  it('feeds the resolvers, the selector, maps and schemas', async () => {
    const { registry } = await loadRegistry(join(FIXTURES, 'valid'), deps);
    const { resolvers, expressions, schemas } = createEngineParts(registry!);
    const facts = {
      body: { order: { quantity: 12 } },
      action: 'CreateOrder',
      headers: {},
      context: {},
      state: {},
      message: { id: 'm', correlationId: 'c', itinerary: 'orders', version: '1.1.0' },
      env: {},
    };
    expect(await resolvers.selectItinerary(facts)).toMatchObject({ name: 'orders', fired: ['orders'] });
    const decide = registry!.itinerary('orders').steps[3];
    expect((await resolvers.resolve(decide.resolver, facts)).params).toEqual({ name: 'OrderCanceled', body: { reason: 'Not in store' } });
    expect(await expressions.map('to-canonical', '1.0.0', { productId: 1, amount: 2, customerId: 3 })).toEqual({
      order: { product: 1, quantity: 2, customer: 3 },
    });
    expect(schemas.validate('create-order', { productId: 1, amount: 'x', customerId: 3 })).toEqual([
      { pointer: '/amount', message: 'must be an integer, got a string' },
    ]);
  });
});
