export * from './clusterState.js';
export * from './eventCatchUp.js';
export * from './fleetModel.js';
export * from './selector.js';
export * from './applyPlan.js';
export * from './fleetReport.js';
export * from './profileChange.js';
export * from './lineDiff.js';
