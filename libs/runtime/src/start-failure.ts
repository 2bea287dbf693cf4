import { ItineraError, formatDetails, redactSecrets, toItineraError } from '@itinera/core';
import { wantsPrettyLogs } from '@itinera/observability';

/** What a node that did not start writes: one pino-style JSON line, or text for a person. */
export interface StartFailure {
  level: 'fatal';
  time: string;
  pid: number;
  role: string;
  code: string;
  msg: string;
  /** Each bad setting or finding: pointer (e.g. /ITINERA_ADMIN_TOKEN), message, file when one applies. */
  details?: { pointer: string; message: string; file?: string; code?: string }[];
}

/**
 * The start-up failure as a log line with the same fields as every pino line (level, time,
 * msg), plus the code and each finding with its pointer, so a log pipeline (or a crash
 * loop's `kubectl logs`) gets one parsable record. Masked like every log line.
 */
export function startFailure(role: string, err: unknown, now = new Date()): StartFailure {
  const e = err instanceof ItineraError ? err : toItineraError(err, 'START_FAILED');
  // With details the first line says what failed; the rest of the message repeats the details.
  const summary = e.details?.length ? e.message.split('\n')[0]!.replace(/:$/, '') : e.message;
  const line: StartFailure = {
    level: 'fatal',
    time: now.toISOString(),
    pid: process.pid,
    role,
    code: e.code,
    msg: `${role} did not start (${e.code}): ${summary}`,
    ...(e.details?.length ? { details: e.details.map((d) => ({ ...d })) } : {}),
  };
  return redactSecrets(line);
}

/** The multi-line text a person at a terminal reads (as before the JSON line). */
export function startFailureText(role: string, err: unknown): string {
  if (!(err instanceof ItineraError)) return `${role} did not start: ${err instanceof Error ? err.message : String(err)}`;
  const lines = err.details?.length && err.code === 'ITINERARIES_INVALID' ? formatDetails(err.details) : err.message;
  return `${role} did not start (${err.code}):\n${lines}`;
}

/**
 * Text only for a person: ITINERA_LOG_PRETTY when set, else stderr a terminal outside
 * production (the rule of the log lines). Read from the environment directly: the
 * failure may be that the configuration did not load.
 */
export function wantsStartFailureText(env: NodeJS.ProcessEnv = process.env, isTTY = process.stderr.isTTY === true): boolean {
  const raw = env.ITINERA_LOG_PRETTY?.trim().toLowerCase();
  const setting = raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : undefined;
  return wantsPrettyLogs(setting, env.NODE_ENV === 'production', isTTY);
}
