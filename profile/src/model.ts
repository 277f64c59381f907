/**
 * @kplane/profile/model: the model without the ajv-based validator. The dashboard webview uses
 * this entry: ajv's generated code would need 'unsafe-eval', which the webview's CSP refuses.
 */
export * from './types.js';
export * from './schema.js';
export * from './render.js';
export * from './duration.js';
export * from './identity.js';
export * from './conditions.js';
export * from './listExpansion.js';
export type { FindingCode } from './validation/codes.js';
export * from './pattern.js';
export * from './secrets.js';
