export * from './logger';
export * from './metrics';
export * from './stores';
export * from './tracing';
