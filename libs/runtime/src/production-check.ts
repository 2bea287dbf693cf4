import { ItineraError, type ErrorDetail } from '@itinera/core';
import type { BusRoles } from './bus';
import type { BusConfig } from './config';

/**
 * The defaults that make a laptop easy are unsafe in production: open operator
 * endpoints, any origin on the duplex WebSocket, send adapters free to reach any
 * address. With NODE_ENV=production a node refuses each of these that its roles use,
 * unless the operator wrote out the opt-in; every one is named in one error.
 */
export function insecureProductionSettings(config: BusConfig, roles: BusRoles): ErrorDetail[] {
  const found: ErrorDetail[] = [];
  const add = (setting: string, message: string) => found.push({ pointer: `/${setting}`, message });
  // Named operator tokens guard the operator endpoints as the admin token does.
  if (roles.gateway && config.auth !== 'required' && !config.adminToken && !config.operatorTokens && !config.operatorTokensFile && !config.openOperatorEndpoints) {
    add(
      'ITINERA_ADMIN_TOKEN',
      'unset with ITINERA_AUTH=none (and no ITINERA_OPERATOR_TOKENS), so the operator endpoints (/faults, /messages search, /audit, itinerary definitions) are open to every caller: set ITINERA_ADMIN_TOKEN to a long random secret or name operators in ITINERA_OPERATOR_TOKENS, or ITINERA_AUTH=required with API keys or JWTs that carry role:operator; to keep them open on purpose set ITINERA_OPEN_OPERATOR_ENDPOINTS=true',
    );
  }
  if (roles.gateway && config.allowedOrigins.length === 0) {
    add(
      'ITINERA_ALLOWED_ORIGINS',
      'unset, so a page of any origin may open a duplex WebSocket with its visitors\' network position: list your apps\' origins (e.g. https://app.example.com), or write ITINERA_ALLOWED_ORIGINS=* to allow any',
    );
  }
  // A gateway runs receive-stage steps, a worker the rest: both hold the send adapters.
  if ((roles.gateway || roles.worker) && config.sendAllowList.length === 0) {
    add(
      'ITINERA_SEND_ALLOWLIST',
      'unset, so send adapters may reach any public address an itinerary or resolver names: list the URL prefixes, hosts and queues they may reach (e.g. https://orders.internal.example.com/,payments.example.com), or write ITINERA_SEND_ALLOWLIST=* to allow any public address',
    );
  }
  return found;
}

/** Throws INSECURE_PRODUCTION_CONFIG naming each unsafe setting when NODE_ENV=production; nothing otherwise. */
export function checkProductionConfig(config: BusConfig, roles: BusRoles): void {
  if (!config.production) return;
  const found = insecureProductionSettings(config, roles);
  if (!found.length) return;
  const lines = found.map((d) => `${d.pointer.slice(1)}: ${d.message}`).join('\n');
  throw new ItineraError('INSECURE_PRODUCTION_CONFIG', `NODE_ENV=production and ${found.length} setting(s) are unsafe:\n${lines}`, { details: found });
}
