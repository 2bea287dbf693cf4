export { MemoryMessageBox, type MemoryMessageBoxOptions } from './memory.box';
export {
  BullMqMessageBox,
  DEFAULT_PREFIX,
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  type BullMqMessageBoxOptions,
  type KeepFinished,
} from './bullmq.box';
export type { WorkerTuning } from './bullmq.consumer';
export { checkMaxmemoryPolicy, type MaxmemoryPolicyCheckOptions } from './maxmemory-policy';
export { createMessageBox, type CreateMessageBoxOptions } from './create-message-box';
export { eachMaster, type RedisConnectionOptions } from './redis-connections';
