/** @kplane/extension: the API the extension returns from activate, and its vscode-free webview helpers. */
export type { KplaneApi } from './extension.js';
export type { FleetNode } from './views/fleetNodes.js';
export type { DashboardHandle } from './webview/dashboardPanel.js';
export { fleetSnapshot, EVENTS_PER_CLUSTER, type FleetReader } from './webview/fleetSnapshot.js';
export { DashboardController, DASHBOARD_HISTORY_BYTES, messageHistory, type ControllerDeps } from './webview/dashboardController.js';
export { dashboardHtml, makeNonce, type DashboardAssets } from './webview/dashboardHtml.js';
export { FleetService, UNTRUSTED_WORKSPACE, readSettings, type FleetRuntime, type FleetServiceDeps, type FleetSettings, type WorkspaceTrust } from './fleetService.js';
export { ByteBoundedList, ByteBoundedTexts, textBytes } from './byteBounded.js';
export { DriftContentProvider, DRIFT_MAX_BYTES, DRIFT_SCHEME } from './driftContentProvider.js';
export { profilesInText, MAX_PROFILE_FILE_BYTES, type ProfileSummary } from './views/profileFiles.js';
export { ProfileParser, type ProfileParserOptions } from './views/profileParser.js';
export { ProfileIndex, type ProfileIndexDeps, type IndexedProfile } from './views/profileIndex.js';
/** The Profiles view's worker as tsc builds it (the extension loads the bundle, dist/profileScanWorker.js). */
export const PROFILE_SCAN_WORKER = new URL('./views/profileScanWorker.js', import.meta.url);
