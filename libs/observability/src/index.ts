export * from './logger';
export * from './metrics';
export { LabelCap } from './label-cap';
export * from './stores';
export * from './tracing';
