import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { dirname } from 'node:path';
import { round } from './stats';

/** One line of the results: `ratio` = value / baseline; `target` applies to the ratio (or to the value when there is no baseline). */
export interface Figure {
  name: string;
  unit: string;
  value: number | null;
  baseline: number | null;
  ratio: number | null;
  /** `>= 0.8`, `<= 1.3`, or null when the figure is only reported. */
  target: string | null;
  met: boolean | null;
  /** What the baseline is, in words. */
  baselineIs?: string;
  /** Rounds and other raw numbers behind the figure. */
  raw?: unknown;
  error?: string;
}

export function figure(f: Omit<Figure, 'ratio' | 'met'> & { targetOn?: 'ratio' | 'value' }): Figure {
  const { targetOn, ...rest } = f;
  const ratio = f.value !== null && f.baseline !== null && f.baseline !== 0 ? round(f.value / f.baseline, 3) : null;
  let met: boolean | null = null;
  if (f.target) {
    const m = /^(>=|<=)\s*([\d.]+)$/.exec(f.target.trim());
    const subject = (targetOn ?? (f.baseline === null ? 'value' : 'ratio')) === 'ratio' ? ratio : f.value;
    if (m && subject !== null && Number.isFinite(subject)) met = m[1] === '>=' ? subject >= Number(m[2]) : subject <= Number(m[2]);
  }
  return {
    name: f.name,
    unit: f.unit,
    value: f.value,
    baseline: f.baseline,
    ratio,
    target: f.target,
    met,
    ...(rest.baselineIs ? { baselineIs: rest.baselineIs } : {}),
    ...(rest.raw !== undefined ? { raw: rest.raw } : {}),
  };
}

export function failedFigure(name: string, err: unknown): Figure {
  return {
    name,
    unit: '',
    value: null,
    baseline: null,
    ratio: null,
    target: null,
    met: null,
    error: err instanceof Error ? err.message.split('\n')[0] : String(err),
  };
}

export function machine(redisVersion: string, mode: string): Record<string, unknown> {
  const c = cpus();
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // Uncommitted product changes are part of what was measured.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'libs', 'apps'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += ' + uncommitted changes in libs/apps';
  } catch {
    commit = undefined;
  }
  return {
    cpu: c[0]?.model ?? '?',
    cores: c.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    os: `${osType()} ${release()}`,
    node: process.version,
    redis: redisVersion,
    commit,
    mode,
    date: new Date().toISOString(),
  };
}

const fmt = (v: number | null, unit = ''): string => {
  if (v === null || !Number.isFinite(v)) return '-';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
};

/** The results as a Markdown table (printed, and pasted into the README). */
export function table(figures: Figure[]): string {
  const rows = [
    ['figure', 'value', 'baseline', 'ratio', 'target', 'met'],
    ...figures.map((f) => [
      f.name,
      f.error ? `error: ${f.error}` : fmt(f.value, f.unit),
      fmt(f.baseline, f.baseline === null ? '' : f.unit),
      f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
      f.target ?? 'reported',
      f.met === null ? '-' : f.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

export function writeResults(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}

/** The README section: machine, the figures, the scaling table with CPU per message, how it was run. */
export function readmeSection(result: { machine: Record<string, any>; figures: Figure[] }, command: string): string {
  const m = result.machine;
  const main = result.figures.filter((f) => !f.name.startsWith('scaling:') && !f.name.startsWith('capacity:'));
  const capacity = result.figures.filter((f) => f.name.startsWith('capacity:') && !f.error);
  const scaling = result.figures.filter((f) => f.name.startsWith('scaling:') && !f.error);
  const lines = [
    `Measured with \`${command}\` on ${m.date?.slice(0, 10)} (commit ${m.commit ?? '?'}): ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Redis ${m.redis}.`,
    '',
    table(main),
  ];
  if (scaling.length) {
    lines.push('', 'Scaling (BullMQ box, gateway in its own process; CPU per message of the worker processes together and of the gateway):', '');
    lines.push('| steps | body | workers | msg/s | worker CPU ms/msg | gateway CPU ms/msg |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of scaling) {
      const r = f.raw as { steps: number; bodyBytes: number; workers: number; msgsPerS: number; workerCpuMsPerMsg: number; gatewayCpuMsPerMsg: number };
      lines.push(`| ${r.steps} | ${r.bodyBytes / 1024} KB | ${r.workers} | ${r.msgsPerS} | ${r.workerCpuMsPerMsg} | ${r.gatewayCpuMsPerMsg} |`);
    }
  }
  if (capacity.length) {
    lines.push('', 'Capacity check (bench-flow, BullMQ; see CAPACITY.md for the model and its prediction):', '');
    lines.push('| layout | msg/s | predicted | bus CPU ms/msg | Redis CPU ms/msg | cmd/msg |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of capacity) {
      const r = f.raw as { config: string; msgsPerS: number; predictedMsgsPerS: number; busCpuMsPerMsg: number; redisCpuMsPerMsg: number; cmdsPerMsg: number };
      lines.push(`| ${r.config} | ${r.msgsPerS} | ${r.predictedMsgsPerS} | ${r.busCpuMsPerMsg} | ${r.redisCpuMsPerMsg} | ${r.cmdsPerMsg} |`);
    }
  }
  const load = Object.entries(m.otherLoadCores ?? {}).filter(([, v]) => typeof v === 'number' && v > 0.25);
  if (load.length)
    lines.push(
      '',
      `Other work kept the machine busy during this run (cores, sampled before each figure): ${load.map(([k, v]) => `${k} ${v}`).join(', ')}; those figures are noisier.`,
    );
  return lines.join('\n');
}

/** Replace what stands between the RESULTS markers of a README. */
export function writeReadmeSection(readme: string, section: string): void {
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- RESULTS:START -->';
  const end = '<!-- RESULTS:END -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${readme} has no ${start} … ${end} markers`);
  writeFileSync(readme, `${text.slice(0, i + start.length)}\n${section}\n${text.slice(j)}`);
}
