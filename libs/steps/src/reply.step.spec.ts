import { describe, expect, it } from 'vitest';
import { replyStep } from './reply.step';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

describe('reply step', () => {
  it('replies with a literal value', async () => {
    const { result, ctx } = await runFakeStep(replyStep, { body: { a: 1 }, params: { value: true } });
    expect(result).toEqual({ outcome: 'completed' });
    expect(ctx.runtime.replied).toEqual([{ messageId: 'msg-1', body: true }]);
  });

  it('replies with the current body by default, or an expression / map', async () => {
    expect((await runFakeStep(replyStep, { body: { a: 1 } })).ctx.runtime.replied[0].body).toEqual({ a: 1 });
    expect((await runFakeStep(replyStep, { body: { a: 1 }, params: { expression: 'body.a + 1' } })).ctx.runtime.replied[0].body).toBe(2);
    expect((await runFakeStep(replyStep, { body: { a: 1 }, maps: { r: '{ "ok": body.a = 1 }' }, params: { map: 'r' } })).ctx.runtime.replied[0].body).toEqual({
      ok: true,
    });
  });

  it('faults when two sources are set at run time (a resolver merged over options)', async () => {
    const { result, ctx } = await runFakeStep(replyStep, { params: { value: true, expression: 'false' } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'STEP_PARAMS_INVALID' } });
    expect(ctx.runtime.replied).toEqual([]);
  });

  it('check(): one source, a compiling expression, an existing map', () => {
    const lc = createFakeLoadCheckContext({ maps: ['r'] });
    expect(replyStep.check!({ value: true }, lc)).toEqual([]);
    expect(replyStep.check!({ value: true, map: 'r' }, lc)).toHaveLength(1);
    expect(replyStep.check!({ map: 'q' }, lc)).toHaveLength(1);
    expect(replyStep.check!({ version: '1.0.0' }, lc)[0].message).toMatch(/applies to "map"/);
  });
});
