/** A trace entry of GET /messages/{id} (libs/core/src/envelope.ts TraceEntry, with the console's extras). */
export interface TraceEntry {
  step: string;
  service: string;
  stage: string;
  start: string;
  durationMs: number;
  outcome: 'completed' | 'skipped' | 'faulted' | 'retried' | 'terminated';
  attempt: number;
  resolver?: {
    type: string;
    source?: string;
    fired?: string[];
    winner?: string;
    defaults?: true;
    params?: Record<string, unknown>;
    rules?: RuleEvaluation[];
  };
  /** Each rule of the policy: whether it fired and the facts its conditions read. */
  rules?: RuleEvaluation[];
  error?: { code: string; message: string };
  node?: string;
  note?: string;
  /** Why a step was skipped (its `when` was false, already applied, resubmitted from a later step). */
  reason?: string;
  /** The body before and after a transform: `{ truncated, bytes, value }` or, past the bus's bound, `{ truncated: true, bytes, text }`. */
  bodyBefore?: unknown;
  bodyAfter?: unknown;
}

export interface RuleEvaluation {
  rule: string;
  fired: boolean;
  facts?: Record<string, unknown>;
}

export interface StepTrace {
  step: string;
  entries: TraceEntry[];
  /** The last outcome: what the node is coloured by. */
  outcome: TraceEntry['outcome'];
  /** The step ran at least once (not only skipped). */
  ran: boolean;
  attempts: number;
  totalMs: number;
}

/** The trace grouped by step, in the order the steps first appear. */
export function traceByStep(trace: TraceEntry[]): Map<string, StepTrace> {
  const out = new Map<string, StepTrace>();
  for (const e of trace) {
    let s = out.get(e.step);
    if (!s) out.set(e.step, (s = { step: e.step, entries: [], outcome: e.outcome, ran: false, attempts: 0, totalMs: 0 }));
    s.entries.push(e);
    s.outcome = e.outcome;
    if (e.outcome !== 'skipped') {
      s.ran = true;
      s.attempts = Math.max(s.attempts + 1, e.attempt ?? 0);
    }
    s.totalMs += e.durationMs ?? 0;
  }
  return out;
}

/** The rules a trace entry evaluated: the detailed list when the bus recorded it, else the names that fired. */
export function rulesOf(e: TraceEntry): RuleEvaluation[] {
  const detailed = e.rules ?? e.resolver?.rules;
  if (detailed?.length) return detailed;
  return (e.resolver?.fired ?? []).map((rule) => ({ rule, fired: true }));
}

/** Why the step was skipped, in words. */
export function skipReason(e: TraceEntry): string {
  return e.reason ?? e.note ?? 'its when condition was false';
}

/** A short line for a node's badge: "✓ 12 ms", "✗ DIVIDE_BY_ZERO", "⤼ skipped", with attempts when more than one. */
export function badge(s: StepTrace): string {
  const tries = s.attempts > 1 ? ` · ${s.attempts} attempts` : '';
  const ms = `${Math.round(s.totalMs)} ms`;
  switch (s.outcome) {
    case 'completed':
      return `✓ ${ms}${tries}`;
    case 'skipped':
      return s.entries.some((e) => e.outcome === 'faulted') ? `⤼ skipped (faulted before)${tries}` : s.ran ? `⤼ skipped (ran before)${tries}` : '⤼ skipped';
    case 'faulted':
      return `✗ ${s.entries.at(-1)?.error?.code ?? 'faulted'}${tries}`;
    case 'retried':
      return `↻ retrying${tries}`;
    default:
      return `■ ${s.outcome}${tries}`;
  }
}
