/** @kplane/agent: the per-cluster control plane. `runAgent` is its entry; the rest is for embedding and tests. */
export { runAgent, parseFlags, USAGE } from './main.js';
export { WorkQueue } from './controller/workQueue.js';
export { Scaler } from './controller/scaler.js';
export { Metrics } from './controller/metrics.js';
export { Logger, SecretValues, SECRET_VALUES_MAX_BYTES, type Level } from './controller/logger.js';
export { AgentReporter } from './controller/agentReporter.js';
export { parseListenAddr, formatListenAddr, startHttpServer, defaultMetricsAuth, type MetricsAuthMode } from './controller/httpServer.js';
export { MetricsAuth, KubeReviewer, type Reviewer, type ReviewedUser, type Decision } from './controller/metricsAuth.js';
export { ProfileReconciler } from './controller/profileReconciler.js';
export { StatusWriter } from './controller/steps/status.js';
export { checkPolicy } from './controller/steps/policy.js';
export { DriftDetector } from './controller/steps/drift.js';
export { Applier } from './controller/steps/apply.js';
export { digestSchemas, digestsOf, DIGEST_KEY, DIGEST_MIN_BYTES } from './controller/schemaDigest.js';
