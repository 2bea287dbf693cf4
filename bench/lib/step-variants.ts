import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A step of a generated itinerary. */
type Step = Record<string, unknown>;

/**
 * The N-step variants of the benchmark itinerary, all after one publication:
 * 1 step is the send alone (static endpoint); N >= 3 is the canonical map,
 * N - 3 inline transforms that touch the body, the rules route and the send.
 */
export function stepVariant(n: number): { name: string; version: string; description: string; steps: Step[] } {
  const steps: Step[] = [];
  if (n === 1) {
    steps.push({ id: 'deliver', service: 'send', options: { adapter: 'queue', address: 'bench.out', config: 'action=Standard' } });
  } else {
    if (n < 3) throw new Error('step variants have 1 or at least 3 steps');
    steps.push({ id: 'to-canonical', service: 'transform', options: { map: 'bench-to-canonical' } });
    for (let i = 0; i < n - 3; i++) {
      steps.push({ id: `touch-${i + 1}`, service: 'transform', options: { expression: '$merge([body, { "hops": $exists(body.hops) ? body.hops + 1 : 1 }])' } });
    }
    steps.push({ id: 'route', service: 'route', resolver: { type: 'rules', policy: 'bench-routing' } });
    steps.push({ id: 'deliver', service: 'send' });
  }
  return {
    name: `bench-steps-${n}`,
    version: '1.0.0',
    description: `Benchmark: ${n} step(s) after one publication, ending with a send to the bench.out queue.`,
    steps,
  };
}

/** A temporary itineraries folder: bench/itineraries plus the N-step variants. Remove it with the returned function. */
export function writeStepVariants(benchItineraries: string, counts: number[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-bench-'));
  cpSync(benchItineraries, dir, { recursive: true });
  for (const n of counts) writeFileSync(join(dir, `bench-steps-${n}.json`), JSON.stringify(stepVariant(n), null, 2));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
