import { describe, expect, it } from 'vitest';
import { sessionStep } from './session.step';
import { createFakeRuntime } from './testing/fake-runtime';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

describe('session step', () => {
  it('joins and leaves a group', async () => {
    const runtime = createFakeRuntime();
    await runFakeStep(sessionStep, { runtime, session: 's1', params: { op: 'join', group: 'chat' } });
    expect(await runtime.sessions.members('chat')).toEqual(['s1']);
    await runFakeStep(sessionStep, { runtime, session: 's1', params: { op: 'leave', group: 'chat' } });
    expect(await runtime.sessions.members('chat')).toEqual([]);
  });

  it('sets, merges and clears the per-session state', async () => {
    const runtime = createFakeRuntime();
    await runFakeStep(sessionStep, { runtime, session: 's1', params: { op: 'set', value: { result: 0, equation: '0' } } });
    expect(await runtime.sessions.getState('s1')).toEqual({ result: 0, equation: '0' });
    await runFakeStep(sessionStep, {
      runtime,
      session: 's1',
      state: await runtime.sessions.getState('s1'),
      body: { n: 100 },
      params: { op: 'merge', expression: '{ "result": state.result + body.n }' },
    });
    expect(await runtime.sessions.getState('s1')).toEqual({ result: 100, equation: '0' });
    await runFakeStep(sessionStep, { runtime, session: 's1', state: { result: 100 }, params: { op: 'clear' } });
    expect(await runtime.sessions.getState('s1')).toEqual({});
  });

  it('takes the state from a map', async () => {
    const { ctx } = await runFakeStep(sessionStep, {
      session: 's1',
      body: { name: 'ann' },
      maps: { register: '{ "name": body.name }' },
      params: { op: 'set', map: 'register' },
    });
    expect(await ctx.runtime.sessions.getState('s1')).toEqual({ name: 'ann' });
  });

  it('faults NO_SESSION without an originating session', async () => {
    const { result } = await runFakeStep(sessionStep, { params: { op: 'join', group: 'chat' } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'NO_SESSION', message: expect.stringMatching(/duplex/) } });
  });

  it('faults for a missing group, a missing or non-object state', async () => {
    expect((await runFakeStep(sessionStep, { session: 's1', params: { op: 'join' } })).result).toMatchObject({ error: { code: 'STEP_PARAMS_INVALID' } });
    expect((await runFakeStep(sessionStep, { session: 's1', params: { op: 'set' } })).result).toMatchObject({ error: { code: 'STEP_PARAMS_INVALID' } });
    expect((await runFakeStep(sessionStep, { session: 's1', params: { op: 'set', value: [1] } })).result).toMatchObject({ error: { code: 'STATE_INVALID' } });
  });

  it('check(): payload only for set / merge, group only for join / leave', () => {
    const lc = createFakeLoadCheckContext();
    expect(sessionStep.check!({ op: 'join', group: 'chat' }, lc)).toEqual([]);
    expect(sessionStep.check!({ op: 'join', group: 'chat', value: {} }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/op' })]);
    expect(sessionStep.check!({ op: 'set', group: 'chat', value: {} }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/group' })]);
  });
});
