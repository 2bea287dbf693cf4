// Duplex over dual HTTP (webhooks): callbacks POSTed, signed, to the client's own address.
export { dualHttpOnRamp, startDualHttp, DUAL_HTTP_SPEC, type DualHttpContext, type DualHttpSessions, type RunningDualHttp } from './dual-http.on-ramp';
export { CallbackDeliverer, DUAL_HTTP_GROUP } from './callback-deliverer';
export { CALLBACK_ALLOWLIST_SETTING, CALLBACK_URL_REFUSED, checkCallbackUrl } from './callback-url';
export { webhookSignature, webhookHeaders, webhookKey } from './webhook-signature';
