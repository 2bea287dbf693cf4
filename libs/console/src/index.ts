export * from './console.routes';
export * from './console-assets';
