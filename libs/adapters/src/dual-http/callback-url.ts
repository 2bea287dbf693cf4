import type { LookupFunction } from 'node:net';
import { ItineraError, redactUrl } from '@itinera/core';
import { allowListEntryFor } from '../provider/allow-list';
import { checkHostLiteral, guardedLookup, refusalIn, type GuardPolicy } from '../provider/address-guard';

/** Where operators list the callback addresses dual-HTTP sessions may use. */
export const CALLBACK_ALLOWLIST_SETTING = 'ITINERA_CALLBACK_ALLOWLIST';
export const CALLBACK_URL_REFUSED = 'CALLBACK_URL_REFUSED';

/** A checked callback address: the URL and a DNS lookup that refuses forbidden addresses at connect time. */
export interface CallbackTarget {
  url: URL;
  lookup: LookupFunction;
  /** It matched an allow-list entry (so it may be a private address): its connections are pooled apart. */
  listed: boolean;
}

const refused = (message: string): ItineraError => new ItineraError(CALLBACK_URL_REFUSED, message);

/** The guard's message offers a development switch the callbacks do not have: listing is the only way. */
function withoutPrivateHint(err: unknown): unknown {
  if (!(err instanceof ItineraError) || err.code !== CALLBACK_URL_REFUSED) return err;
  const message = err.message.replace(/, or for development set \S+=true/, '');
  return message === err.message ? err : new ItineraError(CALLBACK_URL_REFUSED, message);
}

/** Empty or `*`: any public address (private ones still need listing). */
const effectiveList = (allowList: readonly string[]): string[] => allowList.map((e) => e.trim()).filter((e) => e !== '' && e !== '*');

/**
 * The checks that need no DNS: an absolute http(s) URL without credentials or
 * fragment, on the allow-list when there is one, and a literal host (IP,
 * localhost, metadata name) the SSRF guard permits. The lookup it returns checks
 * the resolved addresses again on every connection (no DNS rebinding window).
 */
export function callbackTarget(raw: unknown, allowList: readonly string[]): CallbackTarget {
  if (typeof raw !== 'string' || raw.trim() === '') throw refused('callbackUrl must be an absolute http:// or https:// URL the bus can POST callbacks to.');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused(`callbackUrl "${raw.slice(0, 200)}" is not an absolute URL; give one like https://client.example/itinera.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refused(`callbackUrl must be an http:// or https:// URL, got ${url.protocol}; the bus only POSTs callbacks over HTTP.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw refused(
      `callbackUrl "${redactUrl(raw)}" carries credentials (user:password@); remove them and verify the webhook-signature header instead.`,
    );
  }
  const list = effectiveList(allowList);
  const entry = list.length > 0 ? allowListEntryFor(raw, list) : undefined;
  if (list.length > 0 && entry === undefined) {
    throw refused(
      `callbackUrl "${redactUrl(raw)}" is not on the callback allow-list (compared after normalisation: scheme, host, port, path segments); ask the operator to add it or a prefix of it to ${CALLBACK_ALLOWLIST_SETTING}.`,
    );
  }
  const policy: GuardPolicy = { listed: entry !== undefined, listSetting: CALLBACK_ALLOWLIST_SETTING, privateSetting: CALLBACK_ALLOWLIST_SETTING, code: CALLBACK_URL_REFUSED };
  const who = 'a dual-HTTP callback';
  try {
    checkHostLiteral(who, url.hostname, policy);
  } catch (err) {
    throw withoutPrivateHint(err);
  }
  const lookup = guardedLookup(who, policy);
  const guarded = ((hostname: string, options: unknown, callback: (...args: unknown[]) => void) =>
    (lookup as (h: string, o: unknown, cb: (...args: unknown[]) => void) => void)(hostname, options, (err, ...rest) =>
      callback(err ? withoutPrivateHint(err) : err, ...rest),
    )) as LookupFunction;
  return { url, lookup: guarded, listed: entry !== undefined };
}

/**
 * Everything `callbackTarget` checks, plus the host's addresses now: a name that
 * resolves to loopback or a private network is refused at session creation, not at
 * the first callback. Unresolvable names are refused too.
 */
export async function checkCallbackUrl(raw: unknown, allowList: readonly string[]): Promise<CallbackTarget> {
  const target = callbackTarget(raw, allowList);
  const host = target.url.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    target.lookup(host, { all: true }, (err) => {
      if (!err) return resolve();
      const guard = refusalIn(err, CALLBACK_URL_REFUSED);
      if (guard) return reject(guard);
      reject(refused(`callbackUrl host "${host}" does not resolve (${(err as { code?: string }).code ?? err.message}); give an address the bus can reach.`));
    });
  });
  return target;
}
