/** @kplane/plane: the management plane's pure fleet model, shared by the extension and the CLI. */
export * from './fleet/index.js';
