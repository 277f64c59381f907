export * from './types.js';
export * from './schema.js';
export * from './crd.js';
export * from './conditions.js';
export * from './duration.js';
export * from './identity.js';
export * from './render.js';
export * from './validation/index.js';
