import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@itinera/testing';
import { expectAlive, expectNoPollution, expectReadable, nestedObjects, startProbeBus, STABLE_CODE } from './support';

/**
 * The queue on-ramp takes job data from any producer: whatever it is, the job is
 * either accepted or kept as a fault with a stable code, never lost, never a crash.
 */
describe('queue on-ramp robustness', () => {
  let bus: Awaited<ReturnType<typeof startProbeBus>>;
  const QUEUE = 'orders.fulfilment';

  beforeAll(async () => {
    bus = await startProbeBus();
  });
  afterAll(async () => bus?.stop());

  const acceptedFromQueues = async (): Promise<number> => {
    const text = await fetch(`${bus.url}/metrics`).then((r) => r.text());
    return text
      .split('\n')
      .filter((l) => l.startsWith('itinera_messages_accepted_total{') && l.includes('transport="queue"'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  };
  const queueFaults = async () => (await bus.bus.faults.list(10_000)).filter((f) => f.envelope.origin?.queue === QUEUE && f.step === undefined);

  /** Publish one job; resolves with 'accepted' or the code of the fault it became. */
  async function outcome(data: unknown): Promise<string> {
    const accepted = await acceptedFromQueues();
    const faults = (await queueFaults()).length;
    await bus.bus.box.publish(QUEUE, data);
    return waitFor(
      async () => {
        if ((await acceptedFromQueues()) > accepted) return 'accepted';
        const now = await queueFaults();
        if (now.length > faults) {
          const f = now.find((x) => x.envelope.body === data || JSON.stringify(x.envelope.body) === JSON.stringify(data)) ?? now[now.length - 1]!;
          expect(f.error.code).toMatch(STABLE_CODE);
          expectReadable(f.error.message, `fault of ${JSON.stringify(data)?.slice(0, 80)}`);
          return f.error.code;
        }
        return undefined;
      },
      `an outcome for ${JSON.stringify(data)?.slice(0, 80)}`,
    );
  }

  it('odd job data is accepted or kept as a fault with a stable code', async () => {
    const cases: [unknown, string][] = [
      [null, 'accepted'],
      ['text', 'accepted'],
      [5, 'accepted'],
      [[1, 2], 'accepted'],
      [{}, 'accepted'],
      [{ body: { orderId: 1 } }, 'accepted'],
      [{ headers: 'not an object', body: 1 }, 'accepted'],
      [{ itinerary: 5, body: 1 }, 'accepted'],
      [{ itinerary: 'nope', body: 1 }, 'ITINERARY_NOT_FOUND'],
      [{ version: '../../x', body: 1 }, 'ITINERARY_NOT_FOUND'],
      [{ itinerary: 'calculator', action: '__proto__', body: { n: 1 } }, 'UNKNOWN_ACTION'],
      [{ itinerary: 'calculator', action: 'constructor', body: { n: 1 } }, 'UNKNOWN_ACTION'],
      [{ body: nestedObjects(100) }, 'BAD_REQUEST'],
      [{ headers: { a: nestedObjects(100) }, body: 1 }, 'BAD_REQUEST'],
      // Infinity and NaN cannot reach the on-ramp: job data travels as JSON (null), on both boxes.
      [{ body: { n: Infinity } }, 'accepted'],
      [JSON.parse('{"body":{"__proto__":{"polluted":1}}}'), 'accepted'],
      [JSON.parse('{"__proto__":{"itinerary":"calculator"},"body":1}'), 'accepted'],
    ];
    for (const [data, expected] of cases) {
      expect(await outcome(data), JSON.stringify(data)?.slice(0, 120)).toBe(expected);
      expectNoPollution(`queue ${JSON.stringify(data)?.slice(0, 80)}`);
    }
    await expectAlive(bus.url, 'queue');
  });
});
