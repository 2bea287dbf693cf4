import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ItineraError } from '@itinera/core';

/**
 * The SSRF guard: outbound connections a caller can influence may not reach
 * loopback, private, link-local, unique-local, CGNAT, multicast, reserved,
 * unspecified or cloud metadata addresses unless the operator allowed them.
 * Literal addresses are checked before connecting; host names are checked on the
 * addresses DNS gives at connect time (a `lookup` for the socket), so there is no
 * window between the check and the connection for DNS rebinding.
 */

/** Error code of a refused address (stable, documented). */
export const ADDRESS_REFUSED = 'ADDRESS_REFUSED';
export const ALLOW_PRIVATE_SETTING = 'ITINERA_SEND_ALLOW_PRIVATE';

export type AddressClass =
  'public' | 'loopback' | 'private' | 'link-local' | 'unique-local' | 'carrier-grade-nat' | 'unspecified' | 'metadata' | 'multicast' | 'broadcast' | 'reserved';

/** The networks of one's own that "allow private" lets through (never metadata, multicast or reserved). */
export const PRIVATE_CLASSES: ReadonlySet<AddressClass> = new Set<AddressClass>([
  'loopback',
  'private',
  'link-local',
  'unique-local',
  'carrier-grade-nat',
  'unspecified',
]);

const ALL_CLASSES: readonly AddressClass[] = [...PRIVATE_CLASSES, 'public', 'metadata', 'multicast', 'broadcast', 'reserved'];

/** Cloud instance metadata services (AWS, ECS, GCP, Azure, Alibaba, Oracle). */
const METADATA_IPS = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254']);
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);

const V4_CLASS: Record<string, AddressClass> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade-nat',
  private: 'private',
};
const V6_CLASS: Record<string, AddressClass> = {
  unicast: 'public',
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'private',
};

/** The class of an IP address in any form ipaddr.js parses (hex, octal, decimal, short IPv4; IPv6 with zone); undefined: not an IP. */
export function classifyIp(ip: string): AddressClass | undefined {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip.replace(/^\[|\]$/g, ''));
  } catch {
    return undefined;
  }
  return classifyParsed(addr);
}

function classifyParsed(addr: ipaddr.IPv4 | ipaddr.IPv6): AddressClass {
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    const range = v6.range();
    // Addresses that carry an IPv4 address are judged by it: mapped, translated (SIIT), NAT64, 6to4.
    if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return classifyParsed(embeddedV4(v6.parts[6], v6.parts[7]));
    if (range === '6to4') return classifyParsed(embeddedV4(v6.parts[1], v6.parts[2]));
    // The deprecated IPv4-compatible form (::a.b.c.d): judged by the IPv4 address when that is not public, reserved otherwise.
    if (range === 'unicast' && v6.parts.slice(0, 6).every((p) => p === 0)) {
      const embedded = classifyParsed(embeddedV4(v6.parts[6], v6.parts[7]));
      return embedded === 'public' ? 'reserved' : embedded;
    }
    const plain = new ipaddr.IPv6(v6.parts).toString();
    if (METADATA_IPS.has(plain)) return 'metadata';
    return V6_CLASS[range] ?? 'reserved';
  }
  if (METADATA_IPS.has(addr.toString())) return 'metadata';
  return V4_CLASS[addr.range()] ?? 'reserved';
}

const embeddedV4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);

/** The class of a URL host name: an IP literal's class, `loopback` for localhost, `metadata` for metadata names; undefined: a name DNS decides. */
export function classifyHost(hostname: string): AddressClass | undefined {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  const ip = classifyIp(h);
  if (ip) return ip;
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback';
  if (METADATA_NAMES.has(h)) return 'metadata';
  return undefined;
}

export interface GuardPolicy {
  /** Private networks wholesale (development). */
  allowPrivate?: boolean;
  /** The target matched an allow-list entry naming its host: the operator asked for it. */
  listed?: boolean;
  /** Setting names for the error messages (the dual HTTP callbacks use their own). */
  listSetting?: string;
  privateSetting?: string;
  /** Error code when refused (default ADDRESS_REFUSED). */
  code?: string;
}

/**
 * The classes a target may resolve to. Public always; private networks when allowed
 * wholesale or when the target is listed; metadata only when the listed host is itself
 * a metadata address or name (a listed name that resolves to a metadata address is refused).
 */
export function permittedClasses(hostname: string, policy: GuardPolicy): ReadonlySet<AddressClass> {
  if (policy.listed) {
    const all = new Set<AddressClass>(ALL_CLASSES);
    if (classifyHost(hostname) !== 'metadata') all.delete('metadata');
    return all;
  }
  return policy.allowPrivate ? new Set<AddressClass>(['public', ...PRIVATE_CLASSES]) : new Set<AddressClass>(['public']);
}

const LABEL: Record<AddressClass, string> = {
  public: 'public',
  loopback: 'loopback',
  private: 'private network',
  'link-local': 'link-local',
  'unique-local': 'unique-local (IPv6 private)',
  'carrier-grade-nat': 'carrier-grade NAT (shared)',
  unspecified: 'unspecified (0.0.0.0 or ::)',
  metadata: 'cloud metadata',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
};

/** The refusal: names the host, the address and the rule, and says how to allow it. */
export function addressRefused(who: string, host: string, ip: string | undefined, cls: AddressClass, policy: GuardPolicy): ItineraError {
  const list = policy.listSetting ?? 'ITINERA_SEND_ALLOWLIST';
  const label = `${/^[aeiou]/.test(LABEL[cls]) ? 'an' : 'a'} ${LABEL[cls]} address`;
  const where = ip && ip !== host ? `"${host}": it resolves to ${ip}, ${label}` : `"${host}": it is ${label}`;
  const how =
    cls === 'metadata'
      ? `cloud metadata services are refused unless ${list} names that very host`
      : PRIVATE_CLASSES.has(cls)
        ? `list the address (e.g. http://${host}:port/) in ${list}, or for development set ${policy.privateSetting ?? ALLOW_PRIVATE_SETTING}=true`
        : `list the address in ${list} if it is really meant`;
  return new ItineraError(policy.code ?? ADDRESS_REFUSED, `${who} may not reach ${where} (rule: ${cls}); ${how}`);
}

/** Refuse a literal host (IP, localhost, metadata name) outside the permitted classes; names DNS decides pass here. */
export function checkHostLiteral(who: string, hostname: string, policy: GuardPolicy): void {
  const host = hostname.replace(/^\[|\]$/g, '');
  const cls = classifyHost(host);
  if (cls !== undefined && !permittedClasses(host, policy).has(cls)) throw addressRefused(who, host, undefined, cls, policy);
}

/**
 * A `lookup` for net/tls/http(s)/ws that resolves like `dns.lookup` and refuses the
 * connection when any address of the host is outside the permitted classes.
 */
export function guardedLookup(who: string, policy: GuardPolicy): LookupFunction {
  return ((hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
    const opts = typeof options === 'number' ? { family: options } : ((options ?? {}) as { all?: boolean; family?: number });
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      const permitted = permittedClasses(hostname, policy);
      for (const a of addresses) {
        const cls = classifyIp(a.address) ?? 'reserved';
        if (!permitted.has(cls)) return callback(addressRefused(who, hostname, a.address, cls, policy));
      }
      if (opts.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

/** The ItineraError a connection failed with when the guard refused it (it rides as the error or its cause). */
export function refusalIn(err: unknown, code = ADDRESS_REFUSED): ItineraError | undefined {
  for (let e = err, i = 0; e && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    if (e instanceof ItineraError && e.code === code) return e;
  }
  return undefined;
}
