import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startCluster, startTestBus, waitFor, type Cluster, type HttpAnswer } from '@itinera/testing';

/**
 * Rules that fail closed, black box against the embedded bus and a BullMQ cluster: a loan policy that
 * approves by default unless the income is low. A body without the income, a bare
 * number, or an income sent as a string must not be approved.
 */
const lowIncome = { all: [{ fact: 'body', path: '$.applicant.income', operator: 'lessThan', value: 1000 }] };
const loanPolicy = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  version: '1.0.0',
  defaults: { value: { decision: 'approve' } },
  rules: [{ name: 'low-income', conditions: lowIncome, params: { value: { decision: 'reject' } } }],
  ...extra,
});
// The decision is the reply before publication (the caller's answer); a step after publication marks the record.
const loanItinerary = (name: string, policy: string) => ({
  name,
  version: '1.0.0',
  steps: [
    { id: 'decide', service: 'reply', stage: 'receive', resolver: { type: 'rules', policy } },
    { id: 'mark', service: 'transform', options: { target: 'context.decided', expression: 'true' } },
  ],
});

/** The samples plus the loan itineraries and policies. */
function loanFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-rules-'));
  cpSync(SAMPLES_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'policies', 'loan-decision@1.0.0.json'), JSON.stringify(loanPolicy('loan-decision')));
  writeFileSync(join(dir, 'policies', 'loan-coerce@1.0.0.json'), JSON.stringify(loanPolicy('loan-coerce', { coerce: true })));
  writeFileSync(join(dir, 'policies', 'loan-lenient@1.0.0.json'), JSON.stringify(loanPolicy('loan-lenient', { missing: 'false' })));
  writeFileSync(join(dir, 'loan.json'), JSON.stringify(loanItinerary('loan', 'loan-decision')));
  // After publication: a callback whose action the policy decides.
  writeFileSync(
    join(dir, 'policies', 'loan-callback@1.0.0.json'),
    JSON.stringify({
      ...loanPolicy('loan-callback'),
      defaults: { action: 'Approved' },
      rules: [{ name: 'low-income', conditions: lowIncome, params: { action: 'Rejected' } }],
    }),
  );
  writeFileSync(
    join(dir, 'loan-later.json'),
    JSON.stringify({
      name: 'loan-later',
      version: '1.0.0',
      steps: [{ id: 'notify', service: 'callback', resolver: { type: 'rules', policy: 'loan-callback' } }],
    }),
  );
  writeFileSync(join(dir, 'loan-coerce.json'), JSON.stringify(loanItinerary('loan-coerce', 'loan-coerce')));
  writeFileSync(join(dir, 'loan-lenient.json'), JSON.stringify(loanItinerary('loan-lenient', 'loan-lenient')));
  return dir;
}

describe('rules fail closed (embedded bus)', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  let dir: string;
  beforeAll(async () => {
    dir = loanFolder();
    bus = await startTestBus({ itinerariesDir: dir });
  });
  afterAll(async () => {
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const apply = (body: unknown, itinerary = 'loan') => http(`${bus.url}/itineraries/${itinerary}/messages`, { body });
  const record = (res: HttpAnswer) => http(`${bus.url}/messages/${res.headers.get('itinera-message-id')}`);

  function expectRefused(res: HttpAnswer, code: string, detail: RegExp): void {
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 422, code });
    expect(res.body.detail).toMatch(detail);
    expect(JSON.stringify(res.body)).not.toMatch(/approve/);
  }

  it('a body without applicant.income is FACT_MISSING naming policy, rule and path, never approved', async () => {
    const res = await apply({ applicant: { name: 'Mallory' } });
    expectRefused(res, 'FACT_MISSING', /policy "loan-decision@1\.0\.0", rule "low-income": body \$\.applicant\.income is missing/);
  });

  it('a bare 42 body does not "have" $.applicant.income', async () => {
    expectRefused(await apply(42), 'FACT_MISSING', /body \$\.applicant\.income is missing/);
  });

  it('{"applicant":{"income":"1"}} does not pass as a number under strict types', async () => {
    expectRefused(await apply({ applicant: { income: '1' } }), 'FACT_TYPE_MISMATCH', /"lessThan" compares numbers, got a string/);
  });

  it('a policy that opts into coercion compares the numeric string as a number: rejected', async () => {
    const res = await apply({ applicant: { income: '1' } }, 'loan-coerce');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ decision: 'reject' });
  });

  it('well-formed applications decide as before; the trace marks the winner or that defaults applied', async () => {
    const low = await apply({ applicant: { income: 10 } });
    expect(low.status).toBe(200);
    expect(low.body).toEqual({ decision: 'reject' });
    const high = await apply({ applicant: { income: 5000 } });
    expect(high.body).toEqual({ decision: 'approve' });

    const lowRecord = await waitFor(async () => {
      const r = await record(low);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the low-income record to complete');
    const decide = lowRecord.trace.find((t: any) => t.step === 'decide');
    expect(decide.resolver).toMatchObject({ type: 'rules', source: 'loan-decision@1.0.0', fired: ['low-income'], winner: 'low-income' });
    expect(decide.resolver.defaults).toBeUndefined();

    const highRecord = await waitFor(async () => {
      const r = await record(high);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the high-income record to complete');
    const entry = highRecord.trace.find((t: any) => t.step === 'decide');
    expect(entry.resolver).toMatchObject({ fired: [], defaults: true, params: { value: { decision: 'approve' } } });
    expect(entry.resolver.winner).toBeUndefined();
    expect(highRecord.context.decided).toBe(true);
  });

  it('after publication the step faults with FACT_MISSING: the record says so, no callback is made', async () => {
    const res = await apply({ applicant: {} }, 'loan-later');
    expect(res.status).toBe(202);
    const faulted = await waitFor(async () => {
      const r = await record(res);
      return r.body.status === 'faulted' ? r.body : undefined;
    }, 'the record to fault');
    expect(faulted.error).toMatchObject({ code: 'FACT_MISSING', step: 'notify' });
    expect(faulted.error.message).toMatch(/policy "loan-callback@1\.0\.0", rule "low-income": body \$\.applicant\.income is missing/);
    expect(faulted.context.callbacks).toBeUndefined();
  });

  it('"missing": "false" is the explicit way to let absence reach the defaults', async () => {
    const res = await apply({ applicant: {} }, 'loan-lenient');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ decision: 'approve' });
  });

  it('survives a burst of hostile bodies; every refusal is the documented code and nothing accepted is lost', async () => {
    const before = process.memoryUsage().heapUsed;
    const bodies = [42, null, 'x', [], {}, { applicant: null }, { applicant: 7 }, { applicant: { income: null } }, { applicant: { income: [1] } }];
    const answers = await Promise.all(Array.from({ length: 180 }, (_, i) => apply(bodies[i % bodies.length])));
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body)).toBe(422);
      expect(['FACT_MISSING', 'FACT_TYPE_MISMATCH']).toContain(a.body.code);
    }
    // The process still answers and still decides.
    expect((await http(`${bus.url}/health/live`)).status).toBe(200);
    const ok = await apply({ applicant: { income: 20 } });
    expect(ok.body).toEqual({ decision: 'reject' });
    const done = await waitFor(async () => {
      const r = await record(ok);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the accepted message to complete');
    expect(done.context.decided).toBe(true);
    // Refusals hold nothing: the heap grows by far less than 180 bodies' worth of records would.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('rules fail closed (BullMQ cluster: one gateway, one worker)', { timeout: 120_000 }, () => {
  let cluster: Cluster;
  let dir: string;
  beforeAll(async () => {
    dir = loanFolder();
    cluster = await startCluster({ itinerariesDir: dir, gateways: 1, workers: 1 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the gateway refuses before publication and the worker faults after it, both with FACT_MISSING; good input still decides', async () => {
    const gw = cluster.gateways[0].url;
    const refused = await http(`${gw}/itineraries/loan/messages`, { body: { applicant: {} } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'FACT_MISSING' });
    expect((await http(`${gw}/itineraries/loan/messages`, { body: { applicant: { income: '1' } } })).body).toMatchObject({ code: 'FACT_TYPE_MISMATCH' });

    const later = await http(`${gw}/itineraries/loan-later/messages`, { body: 42 });
    expect(later.status).toBe(202);
    const faulted = await waitFor(async () => {
      const r = await http(`${gw}/messages/${later.headers.get('itinera-message-id')}`);
      return r.body.status === 'faulted' ? r.body : undefined;
    }, 'the worker to fault the message');
    expect(faulted.error).toMatchObject({ code: 'FACT_MISSING', step: 'notify' });

    const ok = await http(`${gw}/itineraries/loan-later/messages`, { body: { applicant: { income: 9000 } } });
    const done = await waitFor(async () => {
      const r = await http(`${gw}/messages/${ok.headers.get('itinera-message-id')}`);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the worker to complete the message');
    expect(done.trace.find((t: any) => t.step === 'notify').resolver).toMatchObject({ defaults: true, params: { action: 'Approved' } });
    expect(cluster.gateways[0].proc.exitCode).toBeNull();
    expect(cluster.workers[0].proc.exitCode).toBeNull();
  });
});
