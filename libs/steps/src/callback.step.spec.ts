import { describe, expect, it } from 'vitest';
import { callbackStep } from './callback.step';
import { createFakeRuntime } from './testing/fake-runtime';
import { FakeSessionStore } from './testing/fake-session-store';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

const store = (rt: { sessions: unknown }) => rt.sessions as FakeSessionStore;

describe('callback step', () => {
  it('pushes a callback frame to the originating session, with the client message id', async () => {
    const { result, ctx } = await runFakeStep(callbackStep, {
      session: 's1',
      clientMessageId: 'c-7',
      state: { result: 150 },
      params: { action: 'Result', expression: '{ "result": state.result }' },
    });
    expect(result).toEqual({ outcome: 'completed' });
    expect(store(ctx.runtime).frames('s1')).toEqual([
      { type: 'callback', seq: 1, action: 'Result', correlationId: 'corr-1', body: { result: 150 }, id: 'c-7' },
    ]);
  });

  it('sends the current body by default, or a literal value', async () => {
    const byBody = await runFakeStep(callbackStep, { session: 's1', body: { x: 1 }, params: { action: 'Echo' } });
    expect(store(byBody.ctx.runtime).frames('s1')[0]).toMatchObject({ action: 'Echo', body: { x: 1 } });
    const byValue = await runFakeStep(callbackStep, { session: 's1', params: { action: 'OrderCanceled', value: { reason: 'Not in store' } } });
    expect(store(byValue.ctx.runtime).frames('s1')[0]).toMatchObject({ action: 'OrderCanceled', body: { reason: 'Not in store' } });
  });

  it('without a session, completes and records the callback in context.callbacks', async () => {
    const first = await runFakeStep(callbackStep, { params: { action: 'OrderPurchased', value: { orderId: 1 } } });
    expect(first.result).toEqual({ outcome: 'completed' });
    expect(first.ctx.envelope.context.callbacks).toEqual([{ action: 'OrderPurchased', body: { orderId: 1 }, delivered: false }]);
    const second = await runFakeStep(callbackStep, {
      envelope: { context: { callbacks: first.ctx.envelope.context.callbacks } },
      params: { action: 'Again', value: 2 },
    });
    expect(second.ctx.envelope.context.callbacks).toHaveLength(2);
  });

  it('pushes to every group member (sender too), skipping vanished and full sessions', async () => {
    const runtime = createFakeRuntime({ callbackDefaults: { limit: 1, overflow: 'fault' } });
    const sessions = store(runtime);
    for (const id of ['a', 'b', 'c', 'd']) {
      sessions.seed(id);
      await sessions.join('chat', id);
    }
    await sessions.push('c', { type: 'callback', action: 'Old', correlationId: 'x', body: null }, { limit: 10, overflow: 'fault' });
    sessions.vanish('d');
    const { result, ctx } = await runFakeStep(callbackStep, {
      runtime,
      session: 'a',
      clientMessageId: 'm-1',
      state: { name: 'ann' },
      body: { text: 'hi' },
      params: { action: 'NotifyClient', to: 'group', group: 'chat', expression: '{ "text": state.name & ": " & body.text }' },
    });
    expect(result).toEqual({ outcome: 'completed' });
    expect(sessions.frames('a')).toEqual([{ type: 'callback', seq: 1, action: 'NotifyClient', correlationId: 'corr-1', body: { text: 'ann: hi' }, id: 'm-1' }]);
    expect(sessions.frames('b')).toEqual([{ type: 'callback', seq: 1, action: 'NotifyClient', correlationId: 'corr-1', body: { text: 'ann: hi' } }]);
    expect(sessions.frames('c')).toHaveLength(1);
    expect(await sessions.members('chat')).toEqual(['a', 'b', 'c']);
    expect(ctx.runtime.logs.some((l) => l.level === 'warn' && (l.obj as { session?: string }).session === 'c')).toBe(true);
  });

  it('pushes to one named session', async () => {
    const runtime = createFakeRuntime();
    store(runtime).seed('other');
    await runFakeStep(callbackStep, { runtime, params: { action: 'Ping', to: 'session', session: 'other', value: 1 } });
    expect(store(runtime).frames('other')).toEqual([{ type: 'callback', seq: 1, action: 'Ping', correlationId: 'corr-1', body: 1 }]);
  });

  it('faults SESSION_OUTBOX_FULL for the origin, and SESSION_NOT_FOUND for a vanished one', async () => {
    const runtime = createFakeRuntime({ callbackDefaults: { limit: 1, overflow: 'fault' } });
    await runFakeStep(callbackStep, { runtime, session: 's1', params: { action: 'A' } });
    const full = await runFakeStep(callbackStep, { runtime, session: 's1', params: { action: 'B' } });
    expect(full.result).toMatchObject({ outcome: 'faulted', error: { code: 'SESSION_OUTBOX_FULL' } });
    const gone = await runFakeStep(callbackStep, { params: { action: 'A', to: 'session', session: 'nobody' } });
    expect(gone.result).toMatchObject({ outcome: 'faulted', error: { code: 'SESSION_NOT_FOUND' } });
  });

  it('needs group for to = group and session for to = session', async () => {
    expect((await runFakeStep(callbackStep, { params: { action: 'A', to: 'group' } })).result).toMatchObject({ error: { code: 'STEP_PARAMS_INVALID' } });
    expect((await runFakeStep(callbackStep, { params: { action: 'A', to: 'session' } })).result).toMatchObject({ error: { code: 'STEP_PARAMS_INVALID' } });
  });

  it('declares action required, and check() the payload sources', () => {
    expect(callbackStep.spec.action.required).toBe(true);
    const lc = createFakeLoadCheckContext();
    expect(callbackStep.check!({ action: 'A', to: 'origin', expression: '{' }, lc)).toEqual([
      expect.objectContaining({ pointer: '/steps/0/options/expression' }),
    ]);
  });
});
