/**
 * Every data call of the console: the operator credential typed into the sign-in form,
 * kept in sessionStorage (gone with the tab), sent as `Authorization: Bearer` (admin
 * token, JWT) or `X-API-Key`. A 401 or 403 sends the page back to the sign-in form.
 */
const KEY = 'itinera.console.credential';

export interface Credential {
  kind: 'bearer' | 'apiKey';
  value: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { pointer?: string; message?: string }[] = [],
    /** The request carried the operator's credential (a refusal is then about that credential). */
    readonly credentialSent = false,
  ) {
    super(message);
  }
}

type Listener = (error: ApiError) => void;
const deniedListeners = new Set<Listener>();

export function credential(): Credential | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Credential;
  } catch {
    return undefined;
  }
}

export function signIn(c: Credential | undefined): void {
  if (c && c.value) sessionStorage.setItem(KEY, JSON.stringify(c));
  else sessionStorage.removeItem(KEY);
}

/** Called when the bus refuses the credential (or its absence). */
export function onDenied(listener: Listener): () => void {
  deniedListeners.add(listener);
  return () => deniedListeners.delete(listener);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const c = credential();
  const out: Record<string, string> = { accept: 'application/json', ...extra };
  if (c?.kind === 'bearer') out.authorization = `Bearer ${c.value}`;
  if (c?.kind === 'apiKey') out['x-api-key'] = c.value;
  return out;
}

/** A query string of the set values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function api<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const sent = credential() !== undefined;
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: headers(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    cache: 'no-store',
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: any;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const err = new ApiError(
      res.status,
      data?.code ?? `HTTP_${res.status}`,
      data?.detail ?? data?.message ?? `${res.status} ${res.statusText}`,
      Array.isArray(data?.details) ? data.details : [],
      sent,
    );
    if (res.status === 401 || res.status === 403) for (const l of deniedListeners) l(err);
    throw err;
  }
  return data as T;
}
