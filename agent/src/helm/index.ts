/** @kplane/agent/helm: the real Helm CLI (pull, template) and the agent's chart source. */
export { HelmCli, HelmError, findHelm, digestOf, cleanHelmMessage, MAX_CHART_BYTES, type PulledChart, type RepoCredentials, type TemplateInput } from './helmCli.js';
export { ChartSource, type ChartRequest, type RenderedChart } from './chartSource.js';
