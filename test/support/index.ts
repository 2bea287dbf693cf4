export * from './ports';
export * from './redis-server';
export * from './bus';
export * from './http';
export * from './duplex';
export * from './browser';
export * from './cluster';
export * from './build';
