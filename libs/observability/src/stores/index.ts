export { MemoryMessageStore, type MemoryMessageStoreOptions } from './memory.message-store';
export { RedisMessageStore, type RedisMessageStoreOptions } from './redis.message-store';
export { MemoryFaultStore, type MemoryFaultStoreOptions } from './memory.fault-store';
export { RedisFaultStore, type RedisFaultStoreOptions } from './redis.fault-store';
export { MemoryIdempotencyStore, type MemoryIdempotencyStoreOptions } from './memory.idempotency-store';
export { RedisIdempotencyStore } from './redis.idempotency-store';
export { createRecordStores, type RecordStores, type RecordStoresOptions } from './record-stores';
export { DEFAULT_STORE_PREFIX, type RedisStoreBase, type RedisTarget } from './redis-client';
export { DEFAULT_FAULT_TTL_MS, DEFAULT_MAX_RECORDS, DEFAULT_MAX_TRACE, DEFAULT_RECORD_TTL_MS, type MessagePatch } from './record-patch';
