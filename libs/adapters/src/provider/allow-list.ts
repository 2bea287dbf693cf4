import { ItineraError, type SendContext } from '@itinera/core';

/** The setting operators use to list the addresses send adapters may reach. */
export const ALLOWLIST_SETTING = 'ITINERA_SEND_ALLOWLIST';

const hasScheme = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/**
 * Whether `address` is on the allow-list. An empty list allows everything.
 * URL addresses match a URL entry by prefix, but only at a boundary (`/`, `?`, `#`,
 * `:`), so `http://api.example.com` does not let `http://api.example.com.evil.test`
 * through; a bare host name entry matches any URL on that host. Other addresses
 * (queue names, log labels) match an entry exactly.
 */
export function isAddressAllowed(address: string, allowList: readonly string[]): boolean {
  if (allowList.length === 0) return true;
  const isUrl = hasScheme(address);
  let host: string | undefined;
  if (isUrl) {
    try {
      host = new URL(address).hostname.toLowerCase();
    } catch {
      host = undefined;
    }
  }
  for (const raw of allowList) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry === address) return true;
    if (!isUrl) continue;
    if (hasScheme(entry)) {
      if (!address.toLowerCase().startsWith(entry.toLowerCase())) continue;
      const next = address.charAt(entry.length);
      if (entry.endsWith('/') || next === '' || '/?#:'.includes(next)) return true;
    } else if (host !== undefined && !entry.includes('/') && host === entry.toLowerCase()) {
      return true;
    }
  }
  return false;
}

/** Throw ADDRESS_NOT_ALLOWED unless the allow-list lets `adapter` reach `address`. */
export function assertAddressAllowed(adapter: string, address: string, allowList: readonly string[]): void {
  if (isAddressAllowed(address, allowList)) return;
  throw new ItineraError(
    'ADDRESS_NOT_ALLOWED',
    `send adapter "${adapter}" may not reach "${redactAddress(address)}": it is not on the send allow-list; add it (or a prefix of it) to ${ALLOWLIST_SETTING}`,
  );
}

/** Each send adapter calls this first, so an adapter used on its own still honours the list. */
export function checkSendAllowed(adapter: string, address: string, ctx: Pick<SendContext, 'allowList'>): void {
  assertAddressAllowed(adapter, address, ctx.allowList ?? []);
}

/** An address fit for logs and error messages: URL credentials removed. */
export function redactAddress(address: string): string {
  if (!hasScheme(address)) return address;
  try {
    const url = new URL(address);
    if (!url.username && !url.password) return address;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return address;
  }
}
