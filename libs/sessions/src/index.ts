export { MemorySessionStore, type MemorySessionStoreOptions } from './memory.session-store';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis.session-store';
export { createSessionStore, type SessionStoreConfig } from './session-store.factory';
export { DEFAULT_SESSION_TTL_MS } from './session-errors';
