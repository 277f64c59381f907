/** @kplane/agent/core: the agent's pure planning, health, drift and status logic. */
export * from './conditions.js';
export * from './drift.js';
export * from './eventLog.js';
export * from './health.js';
export * from './inventory.js';
export * from './layers.js';
export * from './objects.js';
export * from './plan.js';
export * from './redact.js';
export * from './scaling.js';
export * from './status.js';
export * from './helmManifests.js';
export * from './dependencies.js';
export * from './findings.js';
export * from './policy.js';
export * from './hubMirror.js';
export * from './hubToken.js';
