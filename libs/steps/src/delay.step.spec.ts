import { describe, expect, it, vi } from 'vitest';
import { applySpec } from '@itinera/core';
import { delayStep, MAX_DELAY_MS } from './delay.step';
import { runFakeStep } from './testing/fake-context';

describe('delay step', () => {
  it('waits the given time before completing', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const running = runFakeStep(delayStep, { params: { ms: 1000 } }).then((r) => {
        done = true;
        return r;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect((await running).result).toEqual({ outcome: 'completed' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('is bounded by its spec and runs only after publication', () => {
    expect(applySpec(delayStep.spec, { ms: MAX_DELAY_MS + 1 }).errors).toHaveLength(1);
    expect(delayStep.stages).toEqual(['send']);
  });
});
