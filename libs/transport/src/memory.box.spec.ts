import { describe, expect, it } from 'vitest';
import { describeMessageBox } from '../test/message-box.conformance';
import { MemoryMessageBox } from './memory.box';

describeMessageBox('memory', async () => {
  const box = new MemoryMessageBox();
  return { box, cleanup: () => box.close() };
});

describe('MemoryMessageBox', () => {
  it('refuses to publish once closed', async () => {
    const box = new MemoryMessageBox();
    await box.close();
    await expect(box.publish('q', 1)).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(await box.isReady()).toBe(false);
  });

  it('rejects queue names with ":" and bad consume options', async () => {
    const box = new MemoryMessageBox();
    await expect(box.publish('a:b', 1)).rejects.toMatchObject({ code: 'INVALID_TRANSPORT_OPTIONS' });
    await expect(box.consume('q', async () => undefined, { concurrency: 0 })).rejects.toMatchObject({ code: 'INVALID_TRANSPORT_OPTIONS' });
    await box.close();
  });

  it('rejects data it cannot serialise as JSON (as the BullMQ box would)', async () => {
    const box = new MemoryMessageBox();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(box.publish('q', cyclic)).rejects.toMatchObject({ code: 'INVALID_JOB_DATA' });
    await expect(box.publish('q', { n: 1n })).rejects.toMatchObject({ code: 'INVALID_JOB_DATA' });
    await box.close();
  });

  it('forgets the oldest finished ids beyond its bound', async () => {
    const box = new MemoryMessageBox({ recentIds: 2 });
    const got: string[] = [];
    await box.consume('q', async (job) => void got.push(job.id), { concurrency: 1 });
    for (const id of ['a', 'b', 'c']) await box.publish('q', {}, { jobId: id });
    await new Promise((r) => setTimeout(r, 20));
    await box.publish('q', {}, { jobId: 'a' }); // forgotten: runs again
    await box.publish('q', {}, { jobId: 'c' }); // remembered: no-op
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['a', 'b', 'c', 'a']);
    await box.close();
  });

  it('a dead-letter handler that throws does not stop the queue', async () => {
    const box = new MemoryMessageBox();
    const done: number[] = [];
    await box.consume<number>(
      'q',
      async (job) => {
        if (job.data === 1) throw new Error('bad');
        done.push(job.data);
      },
      { concurrency: 1, onDeadLetter: () => Promise.reject(new Error('fault store down')) },
    );
    await box.publish('q', 1);
    await box.publish('q', 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toEqual([2]);
    await box.close();
  });
});
