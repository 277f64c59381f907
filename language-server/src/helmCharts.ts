/** @kplane/language-server/helm-charts: the chart cache and `helm template`, for the server, `kplane validate` and tests (Node only). */
export { HelmChartStore, findHelmBinary, readChartArchive, renderedObjects, sortVersions, digestOf, MAX_CHART_BYTES, type CachedChart, type HelmChartStoreOptions } from './helmChartStore.js';
export { helmTemplate, renderLayer, type TemplateRequest } from './helmRender.js';
export { credentialFiles, registryLogin, repositoryLogin, type CredentialFiles, type Credentials, type CredentialsLookup } from './registryCredentials.js';
