/**
 * Validation of a ClusterProfile as a plain object: the JSON Schema of ../schema.ts (ajv,
 * compiled once) plus the semantic checks no schema can express. Pure and total: it returns
 * findings and never throws on any input, so the same code serves the language server (which
 * maps `path` to a range in the YAML text), the CLI, the webview editor and the agent (which
 * validates the object it reads from the API server).
 */
import { checkSchema, type ClusterSchemaSource } from './schemaCheck.js';
import { checkSemantics } from './semanticCheck.js';
import { checkSize } from './sizeCheck.js';
import { isKnownClusterScoped } from '../identity.js';
import type { FindingCode } from './codes.js';
import type { KubeTypes } from '../kubeTypes.js';
import type { SchemaTarget } from './targetFindings.js';

export type { ClusterSchemaSource } from './schemaCheck.js';
export { checkSchema, pointerToPath } from './schemaCheck.js';
export { checkSemantics } from './semanticCheck.js';
export { FINDING_AREAS, FINDING_CODES, isFindingCode, type FindingArea, type FindingCode, type FindingCodeInfo, type QuickFixCode, type YamlLibraryCode } from './codes.js';
export { diagnosticsDoc } from './codesDoc.js';
export { PROFILE_SIZE_LIMIT_BYTES, PROFILE_STORE_LIMIT_BYTES, checkSize, storedSize, storedSizeAsWritten, warmSizeStep, type SizeCheckOptions } from './sizeCheck.js';
export { checkProfileGraph, profileNode, type ProfileNode, type GraphOptions } from './profileGraph.js';
export { formatPath, isIpv4, isCidr, isSemver, isChartVersion, isDns1123Label, isDns1123Subdomain, closest, describeValue } from './rules.js';
export { checkManifest, type ManifestCheckOptions } from './manifestCheck.js';
export { mergeTargetFindings, type SchemaTarget, type TargetFindings } from './targetFindings.js';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export type JsonPath = (string | number)[];

export interface Finding {
  /** Stable, SCREAMING_SNAKE, one of ./codes.ts: tools and quick fixes key on it. */
  code: FindingCode;
  severity: Severity;
  /** Names what is wrong and how to fix it. */
  message: string;
  /** JSON path into the document, e.g. ['spec', 'layers', 0, 'name']. */
  path: JsonPath;
  /** Whether the finding is about the key of `path` (unknown field, missing child) or its value (default). */
  on?: 'key' | 'value';
  /**
   * Narrows the finding to part of a string value: offsets into the string's value, e.g. one
   * `${name}` of a longer string. Editors map it to source text when the scalar is plain.
   */
  span?: { start: number; end: number };
  /** Facts a quick fix needs, e.g. { variable: 'replicas' } or { layer: 'web' }. */
  data?: Record<string, string | number>;
}

export interface ValidateOptions {
  /** Decides whether a layer's default namespace applies to a manifest whose kind no CRD of the profile defines (those decide their own); defaults to the built-in list. */
  isClusterScoped?: (apiVersion: string, kind: string) => boolean;
  /** The target cluster's types: with it, manifests are checked against the real cluster's schemas. */
  clusterSchemas?: ClusterSchemaSource;
  /**
   * The built-in Kubernetes API (the caller loads it: this package reads no files). With it every
   * manifest is checked against its kind's schema, and scopes come from its discovery data.
   */
  kube?: KubeTypes;
  /** The Kubernetes release the profile targets, e.g. "1.24", for removed APIs (default: that of `kube`). */
  kubeVersion?: string;
  /** Target clusters' live types (with `kube`): findings per target, merged where they agree. */
  targets?: readonly SchemaTarget[];
  /**
   * CustomResourceDefinitions the profile installs outside its manifests: those its Helm layers'
   * charts render (the caller renders them; this package runs no Helm). With `kube`, their kinds
   * are known to every manifest, as those of the profile's own CRD manifests are. Give the same
   * objects while they are unchanged: checks are kept per set of CRD objects.
   */
  customResourceDefinitions?: readonly unknown[];
  /**
   * Judge the stored size from compressed sizes already remembered (./sizeCheck.ts
   * SizeCheckOptions.onPending): when some are not, no size finding, and this is called.
   */
  onSizePending?: () => void;
}

/** Every problem of a ClusterProfile document (the whole object: apiVersion, kind, metadata, spec). */
export function validateProfile(doc: unknown, options: ValidateOptions = {}): Finding[] {
  try {
    const kube = options.kube;
    const isClusterScoped = options.isClusterScoped ?? (kube ? (apiVersion: string, kind: string) => (kube.scopeOf(apiVersion, kind) ?? (isKnownClusterScoped(apiVersion, kind) ? 'Cluster' : 'Namespaced')) === 'Cluster' : isKnownClusterScoped);
    const findings = checkSchema(doc);
    findings.push(...checkSemantics(doc, { isClusterScoped, clusterSchemas: options.clusterSchemas, kube, kubeVersion: options.kubeVersion, targets: options.targets, customResourceDefinitions: options.customResourceDefinitions }));
    findings.push(...checkSize(doc, { onPending: options.onSizePending }));
    return findings;
  } catch (err) {
    // A bug of ours must not take the editor or the agent down; say so as a finding instead.
    return [
      {
        code: 'INTERNAL_ERROR',
        severity: 'error',
        message: `kplane could not validate this profile (${err instanceof Error ? err.message : String(err)}). Please report this as a bug.`,
        path: [],
      },
    ];
  }
}

/** True when any finding is an error (what the CLI's exit code and the agent's SpecValid condition use). */
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
