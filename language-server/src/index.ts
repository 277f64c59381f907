// The pure language service is the package's API; the LSP server (./server.ts) is bundled on its own.
export * from './service/languageService.js';
export { fastParse, jsYamlParse } from './service/fastParse.js';
export { directParse } from './service/directParse.js';
export { reparse, INCREMENTAL_MIN_CHARS } from './service/incrementalParse.js';
export { parseYamlFile, slowParse, isProfileDocument, LIMITS, type Problem, type ParsedDocument, type ParsedFile } from './service/yamlParse.js';
export { child, locate, pathAt, pairOf, type YamlNode, type YamlPair, type Segment, type Located } from './service/yamlTree.js';
export { positionsOf } from './service/ranges.js';
export { QUICK_FIXES } from './service/codeActions.js';
export { renderedObjectFindings, MAX_RENDERED_FINDINGS, type RenderedChart, type RenderedObject, type RenderLookup, type RenderRequest } from './service/helmRendered.js';
export { chartFacts, coalesceValues, helmLayersOf, helmValuesFindings, type ChartFacts, type ChartLookup, type ChartRef, type HelmChartProvider, type VersionsLookup } from './service/helmValues.js';
