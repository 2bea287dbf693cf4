import { ItineraError } from '@itinera/core';

/** Settings of the duplex on-ramps (WebSocket and long polling). */
export interface DuplexOptions {
  /** Server ping interval on WebSockets; a client that misses two pings is disconnected. */
  heartbeatMs: number;
  /** How long a long poll is held when nothing is pending. */
  pollTimeoutMs: number;
  /** Session inactivity timeout, as announced to clients; the session store enforces it (configure both alike). */
  sessionTtlMs: number;
  /** Largest `send` frame / long-polling message body accepted. */
  maxFrameBytes: number;
  /** Most frames in one long-poll answer (`more: true` says there are others). */
  pollBatch: number;
  /** Sends of one session accepted but not yet answered on this node; past it: RATE_LIMITED. */
  maxInFlight: number;
  /** Bytes waiting to go out on one WebSocket (a client that does not read); past it: close 4008. */
  maxBufferedBytes: number;
}

interface OptionSpec {
  env?: string;
  default: number;
  minimum: number;
  description: string;
}

/** Declared once: defaults, environment variables and docs all read this table. */
export const DUPLEX_OPTION_SPECS: Record<keyof DuplexOptions, OptionSpec> = {
  heartbeatMs: {
    env: 'ITINERA_HEARTBEAT_MS',
    default: 15_000,
    minimum: 10,
    description: 'WebSocket ping interval; a client that misses two pings is disconnected (its session lives on).',
  },
  pollTimeoutMs: {
    env: 'ITINERA_POLL_TIMEOUT_MS',
    default: 15_000,
    minimum: 10,
    description: 'How long a long poll is held when nothing is pending before it answers `{ items: [] }`.',
  },
  sessionTtlMs: {
    env: 'ITINERA_SESSION_TTL_MS',
    default: 600_000,
    minimum: 100,
    description: 'Session inactivity timeout announced in `welcome` / `POST /duplex/sessions` (the session store enforces it).',
  },
  maxFrameBytes: {
    env: 'ITINERA_MAX_FRAME_BYTES',
    default: 256 * 1024,
    minimum: 1024,
    description: 'Largest WebSocket text frame or long-polling message body accepted (PAYLOAD_TOO_LARGE past it).',
  },
  pollBatch: {
    default: 100,
    minimum: 1,
    description: 'Most callback/fault frames in one long-poll answer; `more: true` when others remain.',
  },
  maxInFlight: {
    default: 256,
    minimum: 1,
    description: 'Sends of one session waiting for acceptance on this node; past it a send is refused with RATE_LIMITED.',
  },
  maxBufferedBytes: {
    env: 'ITINERA_WS_MAX_BUFFERED_BYTES',
    default: 1024 * 1024,
    minimum: 1024,
    description:
      'Bytes waiting to be sent on one WebSocket (the client does not read, or floods pings); past it the socket is closed with 4008 and the session stays resumable.',
  },
};

export const DEFAULT_DUPLEX_OPTIONS: DuplexOptions = Object.fromEntries(
  Object.entries(DUPLEX_OPTION_SPECS).map(([k, s]) => [k, s.default]),
) as unknown as DuplexOptions;

/** Defaults filled in, values checked (a bad value fails at start-up, naming the option). */
export function duplexOptions(partial: Partial<DuplexOptions> = {}): DuplexOptions {
  const out = { ...DEFAULT_DUPLEX_OPTIONS };
  for (const key of Object.keys(DUPLEX_OPTION_SPECS) as (keyof DuplexOptions)[]) {
    const v = partial[key];
    if (v === undefined) continue;
    const spec = DUPLEX_OPTION_SPECS[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.minimum) {
      throw new ItineraError('BAD_REQUEST', `Duplex option ${key} must be a number >= ${spec.minimum} (got ${String(v)}).`, {
        details: [{ pointer: `/${key}`, message: `must be a number >= ${spec.minimum}` }],
      });
    }
    out[key] = Math.floor(v);
  }
  return out;
}

/** Options from the environment variables of PROTOCOL.md (ITINERA_HEARTBEAT_MS, …); unset ones keep their default. */
export function duplexOptionsFromEnv(env: Record<string, string | undefined> = process.env): DuplexOptions {
  const partial: Partial<DuplexOptions> = {};
  for (const [key, spec] of Object.entries(DUPLEX_OPTION_SPECS) as [keyof DuplexOptions, OptionSpec][]) {
    const raw = spec.env ? env[spec.env] : undefined;
    if (raw !== undefined && raw.trim() !== '') partial[key] = Number(raw);
  }
  return duplexOptions(partial);
}

/** A markdown table of the options (for the docs). */
export function duplexOptionsMarkdown(): string {
  const rows = Object.entries(DUPLEX_OPTION_SPECS).map(([k, s]) => `| \`${k}\` | ${s.env ? `\`${s.env}\`` : ''} | ${s.default} | ${s.description} |`);
  return ['| option | variable | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
