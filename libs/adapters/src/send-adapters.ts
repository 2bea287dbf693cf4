import type { SendAdapter } from '@itinera/core';
import { httpSendAdapter } from './http/http.send';
import { logSendAdapter } from './log/log.send';
import { queueSendAdapter } from './queue/queue.send';
import { wsSendAdapter } from './ws/ws.send';
import { withEndpointGuard } from './provider/endpoint-key';

export { httpSendAdapter, type HttpSendOptions } from './http/http.send';
export { queueSendAdapter, type QueueSendOptions } from './queue/queue.send';
export { logSendAdapter, type LogSendOptions } from './log/log.send';
export { wsSendAdapter, closeWsSendPool, wsSendPoolSize, type WsSendOptions } from './ws/ws.send';
export { AdapterProvider, type AdapterProviderOptions, type ResolvedEndpoint } from './provider/adapter-provider';
export { AdapterSender, type AdapterSenderOptions } from './provider/adapter-sender';
export {
  ALLOWLIST_SETTING,
  isAddressAllowed,
  assertAddressAllowed,
  allowListEntryFor,
  checkSendAllowed,
  normalizeUrl,
  redactAddress,
  type NormalizedUrl,
} from './provider/allow-list';
export {
  ADDRESS_REFUSED,
  ALLOW_PRIVATE_SETTING,
  PRIVATE_CLASSES,
  addressRefused,
  checkHostLiteral,
  classifyHost,
  classifyIp,
  guardedLookup,
  permittedClasses,
  refusalIn,
  type AddressClass,
  type GuardPolicy,
} from './provider/address-guard';
export { ADDRESS_CREDENTIALS, checkOutbound, type CheckedTarget } from './provider/check-url';
export { DEFAULT_MAX_RESPONSE_BYTES } from './http/http.send';
export { expandEnvPlaceholders } from './provider/env-placeholders';
export { EndpointGuard, DEFAULT_ENDPOINT_GUARD, CIRCUIT_GAUGE, type EndpointGuardSettings, type EndpointRejection, type EndpointStats } from './provider/endpoint-guard';
export { ENDPOINT_GUARD_SPEC, endpointKey, withEndpointGuard } from './provider/endpoint-key';

/** Every built-in send adapter. A new adapter is one file plus one line here. */
export const ALL_ADAPTERS: SendAdapter[] = [
  // Adapters that reach outside endpoints get per-endpoint isolation (bulkhead, breaker); queue and log stay inside the bus.
  withEndpointGuard(httpSendAdapter),
  queueSendAdapter,
  logSendAdapter,
  withEndpointGuard(wsSendAdapter),
];
