/** @kplane/media: what the extension host shares with the dashboard webview (protocol, checks, view model). */
export * from './protocol.js';
export * from './escape.js';
export * from './valuesCheck.js';
export * from './valuesGate.js';
export * from './viewModel.js';
export { scalingChart, type ChartGeometry } from './scalingChart.js';
