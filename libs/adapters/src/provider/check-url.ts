import type { LookupFunction } from 'node:net';
import { ItineraError, type SendContext } from '@itinera/core';
import { allowListEntryFor, ALLOWLIST_SETTING, notAllowedMessage, redactAddress } from './allow-list';
import { ALLOW_PRIVATE_SETTING, checkHostLiteral, guardedLookup, type GuardPolicy } from './address-guard';

/** Error code of an address that carries credentials (user:password@). */
export const ADDRESS_CREDENTIALS = 'ADDRESS_CREDENTIALS';

/** An adapter's address check: an absolute URL with one of `protocols` (e.g. `['http:', 'https:']`). */
export function checkUrlAddress(address: string, protocols: readonly string[]): string | undefined {
  const names = protocols.map((p) => `${p}//`).join(' or ');
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `must be an absolute ${names} URL`;
  }
  return protocols.includes(url.protocol) ? undefined : `must be a ${names} URL, got ${url.protocol}`;
}

/** What an outbound connection to a checked URL needs. */
export interface CheckedTarget {
  url: URL;
  /** Resolves the host and refuses addresses the guard forbids, at connect time. */
  lookup: LookupFunction;
  /** What the lookup permits depends on this and the host only: pooled connections are shared per key, never across. */
  policyKey: string;
}

/**
 * Everything checked before a send adapter connects to a URL: no credentials in the
 * address (ADDRESS_CREDENTIALS), on the allow-list (ADDRESS_NOT_ALLOWED), a literal host
 * the SSRF guard permits (ADDRESS_REFUSED). The returned lookup checks the addresses a
 * host name resolves to when the socket connects.
 */
export function checkOutbound(adapter: string, address: string, ctx: Pick<SendContext, 'allowList' | 'allowPrivate'>): CheckedTarget {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new ItineraError('ENDPOINT_INVALID', `send adapter "${adapter}": address "${redactAddress(address)}" is not an absolute URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ItineraError(
      ADDRESS_CREDENTIALS,
      `send adapter "${adapter}" refuses "${redactAddress(address)}": the address carries credentials (user:password@); put them in the endpoint config (username and password) or a header instead`,
    );
  }
  const allowList = ctx.allowList ?? [];
  const entry = allowList.length > 0 ? allowListEntryFor(address, allowList) : undefined;
  if (allowList.length > 0 && entry === undefined) {
    throw new ItineraError('ADDRESS_NOT_ALLOWED', notAllowedMessage(`send adapter "${adapter}" may not reach`, address));
  }
  const policy: GuardPolicy = {
    allowPrivate: ctx.allowPrivate === true,
    listed: entry !== undefined,
    listSetting: ALLOWLIST_SETTING,
    privateSetting: ALLOW_PRIVATE_SETTING,
  };
  const who = `send adapter "${adapter}"`;
  checkHostLiteral(who, url.hostname, policy);
  return { url, lookup: guardedLookup(who, policy), policyKey: `${policy.allowPrivate ? 'private' : ''}${policy.listed ? '+listed' : ''}` };
}
