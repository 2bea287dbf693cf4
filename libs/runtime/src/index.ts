export * from './config';
export * from './bus';
export * from './step.decorator';
export * from './itinera.module';
export * from './bootstrap';
export * from './trace-logger';
export { browserBundle } from './client-bundle';
