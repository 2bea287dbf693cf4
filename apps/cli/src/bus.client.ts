import { readFile } from 'node:fs/promises';
import { text, type OptionValues } from './command';

/** A failure the CLI reports as one line: `CODE: message`. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface BusAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export const DEFAULT_URL = 'http://localhost:3000';

/**
 * The bus's HTTP API as the CLI uses it. Every non-2xx answer becomes a
 * CliError carrying the problem's `code`, so commands never print a stack.
 */
export class BusClient {
  readonly url: string;

  constructor(
    url: string,
    private readonly token?: string,
    /** Sent as X-Api-Key on every request (ITINERA_AUTH=required buses). */
    private readonly apiKey?: string,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError('BAD_URL', `"${url}" is not a URL; pass --url http://host:port (or set ITINERA_URL)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError('BAD_URL', `"${url}" is not an http(s) URL`);
    this.url = url.replace(/\/+$/, '');
  }

  /** `--url`, else ITINERA_URL, else http://localhost:3000; `--token`, else ITINERA_ADMIN_TOKEN; `--api-key`, else ITINERA_API_KEY. */
  static from(options: OptionValues, env: Record<string, string | undefined>): BusClient {
    return new BusClient(
      text(options, 'url') || env.ITINERA_URL || DEFAULT_URL,
      text(options, 'token') || env.ITINERA_ADMIN_TOKEN || undefined,
      text(options, 'api-key') || env.ITINERA_API_KEY || undefined,
    );
  }

  async request(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number; admin?: boolean } = {},
  ): Promise<BusAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    if (opts.admin && this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(this.url + path, { method, headers, body: payload, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
    } catch (err) {
      throw unreachable(this.url, err);
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    if (!res.ok) throw problemError(res.status, body);
    return { status: res.status, headers: res.headers, body };
  }
}

function unreachable(url: string, err: unknown): CliError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return new CliError('TIMEOUT', `${url} did not answer in time; is the bus busy or the URL wrong?`);
  const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new CliError('BUS_UNREACHABLE', `cannot reach the bus at ${url} (${why}); start it (npm start) or pass --url / set ITINERA_URL`);
}

/** A problem+json answer → its code and detail; anything else → HTTP_<status>. */
function problemError(status: number, body: unknown): CliError {
  if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
    const p = body as { code: string; detail?: string; title?: string };
    // The detail already names each problem (pointers included): one line is enough.
    return new CliError(p.code, (p.detail ?? p.title ?? p.code).replace(/\s*\n\s*/g, '; '));
  }
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').slice(0, 200) : '';
  return new CliError(`HTTP_${status}`, `the server answered ${status}${text ? `: ${text}` : ''}; is --url pointing at an Itinera bus?`);
}

/** A JSON argument: inline JSON, or `@path` to read it from a file. */
export async function readJsonArg(arg: string, what: string): Promise<unknown> {
  let text = arg;
  if (arg.startsWith('@')) {
    const file = arg.slice(1);
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError('FILE_NOT_FOUND', `${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError('INVALID_JSON', `${what} is not JSON (${(err as Error).message}); quote it, e.g. '{"n": 4}', or use @file.json`);
  }
}

/** Pretty JSON lines for the terminal. */
export const jsonLines = (value: unknown): string => JSON.stringify(value, null, 2) ?? 'undefined';
