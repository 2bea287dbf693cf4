import type { Logger } from '@itinera/core';
import { ApiKeyStore, Authenticator, JwtVerifier, loadOperatorTokens } from '@itinera/adapters';
import type { BusConfig } from './config';

/**
 * The bus's one Authenticator from its settings. A bad keys file or JWT key stops
 * the start with CONFIG_INVALID naming the file and pointer (or the variable).
 */
export function createAuthenticator(config: BusConfig, logger: Logger): Authenticator {
  const apiKeys = config.apiKeysFile
    ? ApiKeyStore.fromFile(config.apiKeysFile, { reloadMs: config.apiKeysReloadMs, logger: logger.child({ component: 'api-keys' }) })
    : undefined;
  const jwt =
    config.jwtJwksUrl || config.jwtPublicKey
      ? new JwtVerifier({
          jwksUrl: config.jwtJwksUrl,
          publicKey: config.jwtPublicKey,
          issuer: config.jwtIssuer,
          audience: config.jwtAudience.length ? config.jwtAudience : undefined,
          clockToleranceSec: config.jwtClockSkewSec,
        })
      : undefined;
  const operatorTokens = loadOperatorTokens({ tokens: config.operatorTokens, file: config.operatorTokensFile });
  if (config.auth === 'none' && !config.adminToken && operatorTokens.length === 0) {
    logger.warn(
      {},
      'ITINERA_AUTH=none: callers without a credential are let in as "anonymous" and operator endpoints are open; set ITINERA_AUTH=required in production',
    );
  }
  return new Authenticator({ mode: config.auth, apiKeys, jwt, adminToken: config.adminToken, operatorTokens, queueTrusted: config.queueTrusted });
}
