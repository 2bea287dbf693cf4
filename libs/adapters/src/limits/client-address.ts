import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import ipaddr from 'ipaddr.js';

/**
 * Which peers' `X-Forwarded-For` is believed (ITINERA_TRUST_PROXY): none (`false`), any (`true`),
 * the nearest N hops, or the peers matching these addresses / CIDRs / `loopback`, `linklocal`, `uniquelocal`.
 */
export type TrustProxy = boolean | number | string[];

/** proxy-addr's trust test: is the address `addr`, `hop` steps from the bus, a proxy we believe? */
export type TrustFn = (addr: string, hop: number) => boolean;

const TRUST_NONE: TrustFn = () => false;

/**
 * The trust test, handed both to Fastify (`req.ip`) and to the WebSocket upgrade, so every on-ramp
 * finds the same client. A hop count trusts that many proxies whoever they are: use it only when
 * the bus is reachable through them alone.
 */
export function trustFunction(tp: TrustProxy): TrustFn {
  if (tp === true) return () => true;
  if (tp === false) return TRUST_NONE;
  if (typeof tp === 'number') return (_addr, hop) => hop < tp;
  return tp.length ? proxyAddr.compile(tp) : TRUST_NONE;
}

/** The client's address: the socket peer, or the nearest untrusted address in `X-Forwarded-For` when the peer is trusted. */
export function clientAddress(req: IncomingMessage, trust: TrustFn = TRUST_NONE): string {
  if (trust === TRUST_NONE) return req.socket.remoteAddress ?? '?';
  return proxyAddr(req, trust) ?? req.socket.remoteAddress ?? '?';
}

/**
 * The key address-based limits count under: an IPv4 address as it is (also when written
 * IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its /64 — one host or home network
 * gets a whole /64 and can change addresses within it at will.
 */
export function addressLimitKey(address: string): string {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address.includes('%') ? address.slice(0, address.indexOf('%')) : address);
  } catch {
    return address;
  }
  if (ip.kind() === 'ipv4') return ip.toString();
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const p = v6.parts;
  return `${p[0].toString(16)}:${p[1].toString(16)}:${p[2].toString(16)}:${p[3].toString(16)}::/64`;
}

/** Parse ITINERA_TRUST_PROXY: `false`, `true`, a hop count, or comma-separated addresses/CIDRs; undefined when invalid. */
export function parseTrustProxy(text: string): TrustProxy | undefined {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'false') return false;
  if (t === 'true') return true;
  if (/^\d+$/.test(t)) return Number(t);
  const items = t.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    proxyAddr.compile(items);
  } catch {
    return undefined;
  }
  return items;
}
