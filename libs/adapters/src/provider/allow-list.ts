import { ItineraError, redactUrl, type SendContext } from '@itinera/core';

/** The setting operators use to list the addresses send adapters may reach. */
export const ALLOWLIST_SETTING = 'ITINERA_SEND_ALLOWLIST';

const hasScheme = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** A URL in the form the allow-list compares: lower-case scheme and host (punycode), port filled in, path normalised. */
export interface NormalizedUrl {
  scheme: string;
  host: string;
  port: string;
  /** Dot segments resolved, unreserved characters percent-decoded, other escapes upper-case. */
  path: string;
}

/** Normalise an absolute URL for comparison; undefined when it is not one (or has no host). */
export function normalizeUrl(address: string): NormalizedUrl | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if (url.hostname === '') return undefined;
  return {
    scheme: url.protocol,
    host: url.hostname.toLowerCase().replace(/\.$/, ''),
    port: url.port || DEFAULT_PORTS[url.protocol] || '',
    path: normalizePath(url.pathname),
  };
}

function normalizePath(pathname: string): string {
  const decoded = pathname.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  // WHATWG URL already resolved "..", "%2e%2e" and friends; decoding may have made new dot segments.
  return decoded === pathname ? pathname : new URL(`http://x${decoded.startsWith('/') ? '' : '/'}${decoded}`).pathname;
}

/** Whether the (normalised) path lies under the entry's path, on a segment boundary. */
function underPath(path: string, prefix: string): boolean {
  if (prefix === '/' || prefix === '') return true;
  // An encoded slash or backslash could be decoded downstream into a ".." escape: not under any sub-path.
  if (/%2F|%5C/.test(path)) return false;
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * The allow-list entry `address` falls under, if any. URL entries are prefixes
 * compared after normalisation: same scheme, host and port (default filled in), and a
 * path under the entry's on a segment boundary (`http://h/ok` admits `/ok` and `/ok/x`,
 * not `/okay` nor `/ok/../500`). A bare host name entry admits any URL on that host.
 * Other addresses (queue names, log labels) match an entry exactly.
 */
export function allowListEntryFor(address: string, allowList: readonly string[]): string | undefined {
  const isUrl = hasScheme(address);
  const target = isUrl ? normalizeUrl(address) : undefined;
  for (const raw of allowList) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (!isUrl) {
      if (entry === address) return entry;
      continue;
    }
    if (!target) continue;
    if (hasScheme(entry)) {
      const e = normalizeUrl(entry);
      if (e && e.scheme === target.scheme && e.host === target.host && e.port === target.port && underPath(target.path, e.path)) return entry;
    } else if (!entry.includes('/') && entry.toLowerCase().replace(/\.$/, '') === target.host) {
      return entry;
    }
  }
  return undefined;
}

/** Whether `address` is on the allow-list. An empty list allows every address (the SSRF guard still applies to URLs). */
export function isAddressAllowed(address: string, allowList: readonly string[]): boolean {
  return allowList.length === 0 || allowListEntryFor(address, allowList) !== undefined;
}

/** Throw ADDRESS_NOT_ALLOWED unless the allow-list lets `adapter` reach `address`. */
export function assertAddressAllowed(adapter: string, address: string, allowList: readonly string[]): void {
  if (isAddressAllowed(address, allowList)) return;
  throw new ItineraError('ADDRESS_NOT_ALLOWED', notAllowedMessage(`send adapter "${adapter}" may not reach`, address));
}

export function notAllowedMessage(prefix: string, address: string): string {
  return `${prefix} "${redactAddress(address)}": it is not on the send allow-list (compared after normalisation: scheme, host, port, path segments); add it (or a prefix of it) to ${ALLOWLIST_SETTING}`;
}

/** Each send adapter calls this first, so an adapter used on its own still honours the list. */
export function checkSendAllowed(adapter: string, address: string, ctx: Pick<SendContext, 'allowList'>): void {
  assertAddressAllowed(adapter, address, ctx.allowList ?? []);
}

/** An address fit for logs and error messages: credentials and secret query parameters masked. */
export function redactAddress(address: string): string {
  return hasScheme(address) ? redactUrl(address) : address;
}
