import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { freePort } from '../../support/ports';
import type { DuplexDriver, NodeTarget, Transport } from './duplex-driver';
import { DualHttpDriver } from './dual-http.driver';
import { PollDriver } from './poll.driver';
import { TcpDriver } from './tcp.driver';
import { WsDriver } from './ws.driver';

/** Short heartbeat, hold and expiry so every case runs in seconds; an outbox limit a test can reach. */
export const SETTINGS = {
  heartbeatMs: 300,
  pollTimeoutMs: 500,
  sessionTtlMs: 3000,
  outboxLimit: 12,
  allowedOrigin: 'https://app.example',
  foreignOrigin: 'https://elsewhere.example',
} as const;

/** Where the suite runs: two gateway nodes (the same one twice on the embedded box). */
export interface Topology {
  nodes: [NodeTarget, NodeTarget];
  /** The second node is another process that shares the sessions (BullMQ). */
  crossNode: boolean;
  stop(): Promise<void>;
}

export type StartTopology = (env: Record<string, string>) => Promise<Topology>;

export interface Credentials {
  apiKey: string;
  jwt: string;
  admin: string;
}

export const DRIVER_CLASSES = { ws: WsDriver, poll: PollDriver, 'dual-http': DualHttpDriver, tcp: TcpDriver } as const;
export const TRANSPORTS = Object.keys(DRIVER_CLASSES) as Transport[];

/** Where a session opened over one transport resumes over another: every transport is source and target once. */
export const OTHER_TRANSPORT: Record<Transport, Transport> = { tcp: 'ws', ws: 'poll', poll: 'tcp', 'dual-http': 'dual-http' };

export interface Prepared {
  env: Record<string, string>;
  credentials: Credentials;
  drivers: Record<Transport, DuplexDriver>;
  cleanup(): Promise<void>;
}

/** Credentials (an API keys file, a JWT key pair), the webhook receiver and the bus settings. */
export async function prepareConformance(): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-conformance-'));
  const keysFile = join(dir, 'api-keys.json');
  const apiKey = 'conformance-key-0123456789abcdef';
  writeFileSync(keysFile, JSON.stringify([{ name: 'conformance', key: apiKey, scopes: [] }]));
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwt = await new SignJWT({ scope: '' })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('conformance-jwt')
    .setIssuer('https://id.conformance.test')
    .setAudience('itinera-conformance')
    .setExpirationTime('10m')
    .sign(pair.privateKey);
  const admin = 'conformance-admin-token';
  const dualHttp = await DualHttpDriver.start(await freePort());
  const env = {
    ITINERA_AUTH: 'required',
    ITINERA_API_KEYS_FILE: keysFile,
    ITINERA_JWT_PUBLIC_KEY: await exportSPKI(pair.publicKey),
    ITINERA_JWT_ISSUER: 'https://id.conformance.test',
    ITINERA_JWT_AUDIENCE: 'itinera-conformance',
    ITINERA_ADMIN_TOKEN: admin,
    ITINERA_ALLOWED_ORIGINS: SETTINGS.allowedOrigin,
    ITINERA_HEARTBEAT_MS: String(SETTINGS.heartbeatMs),
    ITINERA_POLL_TIMEOUT_MS: String(SETTINGS.pollTimeoutMs),
    ITINERA_SESSION_TTL_MS: String(SETTINGS.sessionTtlMs),
    ITINERA_OUTBOX_LIMIT: String(SETTINGS.outboxLimit),
    ITINERA_OUTBOX_OVERFLOW: 'fault',
    ITINERA_CALLBACK_ALLOWLIST: dualHttp.allowList,
    ITINERA_CALLBACK_RETRY_MS: '50',
    ITINERA_CALLBACK_RETRY_MAX_MS: '300',
    ITINERA_CALLBACK_LEASE_MS: '1500',
    // Every case opens sessions from one address and principal in a few seconds.
    ITINERA_SESSION_RATE: '1000',
    ITINERA_MAX_SESSIONS_PER_PRINCIPAL: '10000',
    ITINERA_MESSAGE_RATE: '10000',
  };
  const drivers: Record<Transport, DuplexDriver> = { ws: new WsDriver(), poll: new PollDriver(), 'dual-http': dualHttp, tcp: new TcpDriver() };
  return {
    env,
    credentials: { apiKey, jwt, admin },
    drivers,
    async cleanup() {
      await Promise.all(Object.values(drivers).map((d) => d.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
