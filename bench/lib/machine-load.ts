import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { sleep } from './stats';

function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Cores the whole machine keeps busy over `ms` (Linux /proc/stat). Taken between
 * figures, when the benchmark itself runs nothing, it shows other work on the
 * machine that makes the figures noisy.
 */
export async function busyCores(ms = 500): Promise<number | null> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return null;
  return Math.round(((b.busy - a.busy) / (b.total - a.total)) * cpus().length * 100) / 100;
}
