import { parentPort, workerData } from 'node:worker_threads';
import type jsonata from 'jsonata';
import { compileGuarded, evaluateGuarded, failureFacts } from './expression-compile';
import type { ExpressionLimits } from './expression-guards';

/**
 * One evaluation thread of `ExpressionPool` (the compiled file, or bundled from
 * sources when running unbuilt). It runs one evaluation at a time with the same guards as the event
 * loop; what they cannot stop (one long native call, memory past its heap limit)
 * the pool stops by terminating this thread.
 */

interface Job {
  id: number;
  source: string;
  input: unknown;
  bindings?: Record<string, unknown>;
}

const limits = (workerData as { limits: ExpressionLimits }).limits;
const compiled = new Map<string, jsonata.Expression>();
const MAX_COMPILED = 1000;

parentPort!.on('message', (job: Job) => void run(job));
parentPort!.postMessage({ ready: true });

async function run(job: Job): Promise<void> {
  try {
    let expr = compiled.get(job.source);
    if (!expr) {
      expr = compileGuarded(job.source, limits);
      if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
      compiled.set(job.source, expr);
    }
    const value = await evaluateGuarded(expr, job.input, job.bindings, limits);
    try {
      parentPort!.postMessage({ id: job.id, ok: true, value });
    } catch (err) {
      // A function in the result (a JSONata lambda) cannot be copied out of the thread.
      parentPort!.postMessage({ id: job.id, ok: false, facts: { message: `its result cannot leave the evaluation thread (${(err as Error).message})` } });
    }
  } catch (err) {
    parentPort!.postMessage({ id: job.id, ok: false, facts: failureFacts(err) });
  }
}
