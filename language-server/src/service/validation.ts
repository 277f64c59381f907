/**
 * Diagnostics of a YAML file: YAML problems of every document, and for each ClusterProfile
 * document the findings of @kplane/profile's validateProfile, placed on exact ranges.
 */
import { checkProfileGraph, checkSize, FINDING_CODES, profileNode, validateProfile, type ClusterSchemaSource, type Finding, type FindingCode, type KubeTypes, type ProfileNode, type SchemaTarget } from '@kplane/profile';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { isProfileDocument, type ParsedFile, type Problem } from './yamlParse.js';
import { positionsOf, spanOfFinding, type Span } from './ranges.js';

export const DIAGNOSTIC_SOURCE = 'kplane';

export interface ValidationSettings {
  /**
   * Report YAML syntax problems. Off when Red Hat's YAML extension runs alongside, which reports
   * the same ones; profile findings are ours alone either way.
   */
  yamlSyntax: boolean;
  clusterSchemas?: ClusterSchemaSource;
  /** The built-in Kubernetes API, asked for only when a profile has manifests to check. */
  kubeTypes?: () => KubeTypes | undefined;
  /** The Kubernetes release profiles target (removed APIs). */
  kubeVersion?: string;
  /** Target clusters' live types: manifests are checked against each as well (findings say where). */
  targets?: readonly SchemaTarget[];
  /**
   * The CRDs a profile document's Helm layers render (by document index), known to its manifests
   * too (@kplane/profile ValidateOptions.customResourceDefinitions). The same array while they are
   * unchanged: a new one checks the document's manifests again.
   */
  customResourceDefinitions?: (documentIndex: number) => readonly unknown[] | undefined;
  /**
   * The file was given as a profile (named *.profile.yaml, or named on the CLI): without a
   * ClusterProfile document it gets a diagnostic of this severity. Other YAML files without
   * one are not ours, and get no diagnostics at all.
   */
  expectProfile?: 'warning' | 'error';
  /**
   * Check dependencies between the profiles of this file (cycles); default true. Off when the
   * caller checks them over a larger set itself (`kplane validate` over all its files).
   */
  profileGraph?: boolean;
  /**
   * Judge a big profile's stored (compressed) size only from compressed sizes already remembered:
   * when some are not, its document gets no size finding yet, and this is called with the
   * document's value (@kplane/profile warmSizeStep does the work; validate again after it).
   */
  sizePending?: (value: unknown) => void;
}

/** A diagnostic of ours: its code is one of profile/src/validation/codes.ts. */
export interface KplaneDiagnostic extends Diagnostic {
  code: FindingCode;
}

/** What a quick fix needs to know about a diagnostic, carried in Diagnostic.data. */
export interface DiagnosticData {
  /** Index of the YAML document in the file. */
  document: number;
  path: (string | number)[];
  [fact: string]: unknown;
}

const SEVERITY = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
} as const;

// Findings are paths, not offsets, so they stay right for a document that did not change while
// another document of the same file did (the next parse takes the unchanged document and its
// value object over: ./yamlParse.ts).
const findingsCache = new WeakMap<
  object,
  { schemas: ClusterSchemaSource | undefined; kube: KubeTypes | undefined; kubeVersion: string | undefined; targets: readonly SchemaTarget[] | undefined; crds: readonly unknown[] | undefined; findings: Finding[]; sizePending: boolean }
>();

function hasManifests(value: unknown): boolean {
  const spec = (value as { spec?: { layers?: unknown } } | null)?.spec;
  return Array.isArray(spec?.layers) && spec.layers.some((layer) => Array.isArray((layer as { manifests?: unknown } | null)?.manifests) && (layer as { manifests: unknown[] }).manifests.length > 0);
}

function findingsOf(value: unknown, settings: ValidationSettings, index: number): Finding[] {
  const { clusterSchemas, kubeVersion, targets } = settings;
  // The built-in API is decoded on the first profile that has a manifest to check.
  const kube = settings.kubeTypes && hasManifests(value) ? settings.kubeTypes() : undefined;
  const crds = kube ? settings.customResourceDefinitions?.(index) : undefined;
  const options = { clusterSchemas, kube, kubeVersion, targets: kube ? targets : undefined, customResourceDefinitions: crds };
  if (typeof value !== 'object' || value === null) return validateProfile(value, options);
  const known = findingsCache.get(value);
  // The targets list is replaced, never changed in place, when a cluster's schemas change.
  const sizePending = settings.sizePending;
  let pending = false;
  const onSizePending = sizePending ? () => (pending = true) : undefined;
  if (known && known.schemas === clusterSchemas && known.kube === kube && known.kubeVersion === kubeVersion && known.targets === options.targets && known.crds === crds) {
    if (!known.sizePending) return known.findings;
    // Only the size was left to judge: the rest stays as found.
    let size: Finding[] = [];
    try {
      size = checkSize(value, { onPending: onSizePending });
    } catch {
      // validateProfile said nothing of size either; the other findings stand.
    }
    if (pending) {
      sizePending?.(value);
      return known.findings;
    }
    known.sizePending = false;
    known.findings = [...known.findings, ...size];
    return known.findings;
  }
  const findings = validateProfile(value, { ...options, onSizePending });
  findingsCache.set(value, { schemas: clusterSchemas, kube, kubeVersion, targets: options.targets, crds, findings, sizePending: pending });
  if (pending) sizePending?.(value);
  return findings;
}

/** Whether a file is meant to be a profile though its content may not say so (yet). */
export function isProfileFileName(uri: string): boolean {
  return /\.profile\.ya?ml$/i.test(uri);
}

export function validateFile(document: TextDocument, parsed: ParsedFile, settings: ValidationSettings): KplaneDiagnostic[] {
  const diagnostics: KplaneDiagnostic[] = [];
  // Offsets first, positions at the end, all at once (ranges.ts positionsOf).
  const spans: Span[] = [];
  const add = (span: Span, severity: Finding['severity'], code: FindingCode, message: string, data?: DiagnosticData) => {
    spans.push(span);
    diagnostics.push({
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: SEVERITY[severity],
      code,
      source: DIAGNOSTIC_SOURCE,
      message,
      ...(data ? { data } : {}),
    });
  };
  const profiles = parsed.documents.filter(isProfileDocument);
  const expected = settings.expectProfile ?? (isProfileFileName(document.uri) ? 'warning' : undefined);
  if (profiles.length === 0 && !expected) return diagnostics;
  collect(document, parsed, settings, profiles.length, expected, add);
  const positions = positionsOf(document, parsed.text, spans.flatMap((s) => [s.start, s.end]));
  diagnostics.forEach((d, i) => (d.range = { start: positions[2 * i], end: positions[2 * i + 1] }));
  return diagnostics;
}

type AddDiagnostic = (span: Span, severity: Finding['severity'], code: FindingCode, message: string, data?: DiagnosticData) => void;

/** YAML problems and profile findings of the file, in order, each given to `add` with its span. */
function collect(document: TextDocument, parsed: ParsedFile, settings: ValidationSettings, profileCount: number, expected: 'warning' | 'error' | undefined, add: AddDiagnostic): void {
  const addProblem = (p: Problem) => add(p, p.severity, p.code, p.message);
  parsed.problems.forEach(addProblem);
  parsed.documents.forEach((doc, index) => {
    const isProfile = isProfileDocument(doc);
    for (const problem of doc.problems) {
      // Guards (too deep, alias bomb) are ours; YAML syntax may be left to another extension.
      if (FINDING_CODES[problem.code].area === 'yaml' && !settings.yamlSyntax) continue;
      addProblem(problem);
    }
    if (!isProfile || !doc.checkable || !doc.root) return;
    for (const finding of findingsOf(doc.value, settings, index)) {
      add(spanOfFinding(parsed.text, doc.root, finding), finding.severity, finding.code, finding.message, { document: index, path: finding.path, ...finding.data });
    }
  });

  if (settings.profileGraph !== false && profileCount > 1) {
    for (const { node, finding } of checkProfileGraph(profileNodesOf(parsed))) {
      const doc = parsed.documents[node.source];
      if (doc.root) add(spanOfFinding(parsed.text, doc.root, finding), finding.severity, finding.code, finding.message, { document: node.source, path: finding.path, ...finding.data });
    }
  }

  // A document past the node limit was not read: nothing can be said of the kinds in the file.
  const unread = parsed.documents.some((d) => d.problems.some((p) => p.code === 'TOO_MANY_NODES'));
  if (profileCount === 0 && parsed.problems.length === 0 && !unread && expected) {
    const first = parsed.documents[0];
    const kind = first?.kind;
    const start = first?.root?.start ?? 0;
    add(
      { start, end: Math.max(start + 1, Math.min(parsed.text.length, parsed.text.indexOf('\n', start) < 0 ? parsed.text.length : parsed.text.indexOf('\n', start))) },
      expected,
      parsed.documents.length === 0 ? 'EMPTY_PROFILE' : 'NOT_A_PROFILE',
      parsed.documents.length === 0
        ? 'This profile file is empty: start it with apiVersion: kplane.dev/v1alpha1 and kind: ClusterProfile.'
        : `No document of this file has kind: ClusterProfile${kind ? ` (found kind: ${kind})` : ''}: set kind: ClusterProfile, or rename the file if it is no profile.`,
    );
  }
}

/** The profiles of a file as the dependency graph sees them; `source` is the document index. */
export function profileNodesOf(parsed: ParsedFile): ProfileNode<number>[] {
  const nodes: ProfileNode<number>[] = [];
  parsed.documents.forEach((doc, index) => {
    if (!isProfileDocument(doc) || !doc.checkable) return;
    const node = profileNode(doc.value, index);
    if (node) nodes.push(node);
  });
  return nodes;
}
