/**
 * The language service: everything the editor offers on a profile, as plain functions of a
 * TextDocument. It knows nothing of the LSP connection (../handlers adapt it), so the CLI, the
 * webview editor and tests use it as is. Parses are remembered per document version, and every
 * entry point catches its own failures: a bug here must cost a feature, never the server.
 */
import { customKindsOf, expandManifests, warmSizeStep, type ClusterSchemaSource, type Finding, type FindingCode, type KubeTypes, type ProfileNode, type SchemaTarget } from '@kplane/profile';
import type { CodeAction, CodeLens, CompletionList, Diagnostic, DocumentSymbol, Hover, Location, Position, Range } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { isProfileDocument, parseYamlFile, type ParsedFile } from './yamlParse.js';
import { reparse } from './incrementalParse.js';
import { profileNodesOf, validateFile, DIAGNOSTIC_SOURCE, type KplaneDiagnostic } from './validation.js';
import { spanOfFinding } from './ranges.js';
import { complete } from './completion.js';
import { definition, hover, symbols } from './navigation.js';
import { codeActions } from './codeActions.js';
import { profileAt } from './profileModel.js';
import { checkedAgainstLens, type LiveTarget } from './checkedAgainst.js';
import { helmCompletion, helmDiagnostics, helmHover, type HelmChartProvider } from './helmValues.js';
import type { RenderLookup } from './helmRendered.js';
import { RenderedCrds } from './renderedCrds.js';

export { DIAGNOSTIC_SOURCE, isProfileFileName, type DiagnosticData, type KplaneDiagnostic } from './validation.js';
export { LIMITS } from './yamlParse.js';
export { checkedAgainstLines, checkedAgainstTitle, type LiveTarget } from './checkedAgainst.js';

/** A document from text, for callers without an editor (the CLI, the agent, tests). */
export function textDocument(uri: string, text: string, version = 1): TextDocument {
  return TextDocument.create(uri, 'yaml', version, text);
}

export interface LanguageServiceOptions {
  /** Report YAML syntax problems (default true); see ValidationSettings.yamlSyntax. */
  yamlSyntax?: boolean;
  /** The target cluster's types, when the editor has a cluster connected. */
  clusterSchemas?: ClusterSchemaSource;
  /**
   * The built-in Kubernetes API to check every manifest against, asked for on first need (the
   * server and the CLI pass ../kubeSchemaLoader.ts's builtinKubeTypes; without it manifests are
   * checked for apiVersion, kind and name only).
   */
  kubeTypes?: () => KubeTypes | undefined;
  /** The Kubernetes release the profiles target, e.g. "1.24" (removed APIs); default: that of kubeTypes. */
  kubeVersion?: string;
  /** Charts of Helm layers (../helmChartStore.ts): their values are completed and checked against them. */
  helmCharts?: HelmChartProvider;
  /**
   * Target clusters with their live types (the extension and `kplane validate --context` read
   * them): every manifest is checked against each too; a new array when any changes.
   */
  targets?: readonly SchemaTarget[];
  /**
   * A document's own target clusters (the language server's kplane/liveTargets): when it gives an
   * array, that document is checked against those targets instead of `targets`, and its
   * "checked against" CodeLens lists them.
   */
  liveTargets?: (uri: string) => readonly LiveTarget[] | undefined;
  /** The clock of "schemas 2 h old" (default Date.now). */
  now?: () => number;
}

export interface ValidationOptions {
  /** See ValidationSettings.expectProfile. */
  expectProfile?: 'warning' | 'error';
  /** See ValidationSettings.profileGraph. */
  profileGraph?: boolean;
  /**
   * The CRDs each profile document's Helm layers render (by document index), from a caller that
   * renders charts itself (`kplane validate`): their kinds are known to the profile's manifests.
   * Without it, those of the chart provider's background renders (the editor) are used.
   */
  customResourceDefinitions?: (documentIndex: number) => readonly unknown[] | undefined;
  /**
   * Judge a big profile's stored size (compressed above 1.1 MiB plain) in the background (the
   * language server): without it the size check compresses the manifests it does not know yet
   * before answering (`kplane validate`, exact and synchronous). With it, a document whose
   * compressed sizes are not all known yet gets no size finding now, and this is called once with
   * `step`: each call does one small piece of the compression (one chunk of 64 manifests, a few
   * ms) and returns false when nothing is left; validate the same version again then.
   */
  sizeInBackground?: (step: () => boolean) => void;
}

export interface LanguageService {
  doValidation(document: TextDocument, options?: ValidationOptions): KplaneDiagnostic[];
  doComplete(document: TextDocument, position: Position): CompletionList;
  doHover(document: TextDocument, position: Position): Hover | null;
  findDocumentSymbols(document: TextDocument): DocumentSymbol[];
  findDefinition(document: TextDocument, position: Position): Location[];
  getCodeActions(document: TextDocument, range: Range, diagnostics: Diagnostic[]): CodeAction[];
  /** "checked against Kubernetes 1.36 + 3 clusters (1 offline, …)" above the file's first profile. */
  getCodeLenses(document: TextDocument): CodeLens[];
  /** How many documents of the file are ClusterProfiles (0: not a profile file). */
  countProfiles(document: TextDocument): number;
  /** The file's profiles as the dependency graph sees them (`source`: document index). */
  profileNodes(document: TextDocument): ProfileNode<number>[];
  /**
   * The plain values of the file's ClusterProfile documents that parsed without a syntax error,
   * from the parse validation used: the CLI needs them after validating, and a second parse of a
   * 35k-line profile cost `kplane diff` 0.4 s (bench:diff). Shared with the cache: do not change them.
   */
  profileValues(document: TextDocument): unknown[];
  /** Where a finding about document `index` of the file goes in the text. */
  rangeOfFinding(document: TextDocument, index: number, finding: Pick<Finding, 'path' | 'on' | 'span'>): Range | undefined;
  /** Changes options for later calls (e.g. a cluster was connected). */
  configure(options: LanguageServiceOptions): void;
  /** Drops what is remembered about a closed document. */
  forget(uri: string): void;
}

export function getLanguageService(initial: LanguageServiceOptions = {}): LanguageService {
  let options = { ...initial };
  const parses = new Map<string, { version: number; text: string; parsed: ParsedFile }>();
  /** What each open document's charts rendered of CRDs, kept while unchanged (./renderedCrds.ts). */
  const renderedCrds = new RenderedCrds();

  const parse = (document: TextDocument): ParsedFile => {
    const known = parses.get(document.uri);
    if (known && known.version === document.version && known.text === document.getText()) return known.parsed;
    // Let the previous version's tree go before building the next: two trees of a 50k-line
    // profile at once would double the server's peak memory. A large profile edited in one
    // place is re-parsed only there (./incrementalParse.ts), reusing the previous tree.
    parses.delete(document.uri);
    const text = document.getText();
    // Both take the previous parse over (its trees change in place), which is why it was dropped above.
    const parsed = (known && reparse(known.text, known.parsed, text)) ?? parseYamlFile(text, known?.parsed);
    parses.set(document.uri, { version: document.version, text, parsed });
    return parsed;
  };

  /** The document's targets with a schema set, as validation takes them. */
  const targetsOf = (uri: string): readonly SchemaTarget[] | undefined => {
    const live = options.liveTargets?.(uri);
    return live ? live.flatMap((t) => (t.kube ? [{ name: t.name, kube: t.kube }] : [])) : options.targets;
  };

  /**
   * The types manifests are completed from: built in, then each distinct live set; all with the
   * profile's CRDs, its charts' after its manifests' as validation takes them (KubeTypes keeps one
   * set with custom kinds per base: another list here would make validation check every manifest again),
   * so lists are expanded here too.
   */
  const manifestTypes = (uri: string, documentIndex: number, value: unknown) => (): KubeTypes[] => {
    const layers = (value as { spec?: { layers?: unknown } } | undefined)?.spec?.layers;
    const manifests = Array.isArray(layers) ? layers.flatMap((l) => (Array.isArray((l as { manifests?: unknown })?.manifests) ? expandManifests((l as { manifests: unknown[] }).manifests).map((o) => o.manifest) : [])) : [];
    const custom = customKindsOf([...manifests, ...(renderedCrds.list(uri, documentIndex) ?? [])]);
    const sets = new Set<KubeTypes>();
    const builtin = options.kubeTypes?.();
    if (builtin) sets.add(builtin);
    for (const t of targetsOf(uri) ?? []) sets.add(t.kube);
    return [...sets].map((k) => k.withCustomKinds(custom));
  };

  const guard = <T>(fallback: T, run: () => T): T => {
    try {
      return run();
    } catch {
      return fallback;
    }
  };

  return {
    doValidation(document, validation = {}) {
      try {
        const parsed = parse(document);
        // Helm layers first: the CRDs their charts render are known to the profile's manifests.
        const renders = new Map<number, Map<number, RenderLookup>>();
        const rendered = (index: number, layer: number, lookup: RenderLookup) => {
          let layers = renders.get(index);
          if (!layers) renders.set(index, (layers = new Map()));
          layers.set(layer, lookup);
        };
        const helm = guard([], () => {
          const kube = options.helmCharts?.rendered ? options.kubeTypes?.() : undefined;
          return helmDiagnostics(document, parsed, options.helmCharts, kube ? { kube, kubeVersion: options.kubeVersion, targets: targetsOf(document.uri) } : undefined, rendered);
        });
        const crds = validation.customResourceDefinitions ?? renderedCrds.update(document.uri, renders);
        const unsized: unknown[] = [];
        const background = validation.sizeInBackground;
        const diagnostics = [...validateFile(document, parsed, {
          yamlSyntax: options.yamlSyntax ?? true,
          clusterSchemas: options.clusterSchemas,
          kubeTypes: options.kubeTypes,
          kubeVersion: options.kubeVersion,
          targets: targetsOf(document.uri),
          expectProfile: validation.expectProfile,
          profileGraph: validation.profileGraph,
          customResourceDefinitions: crds,
          sizePending: background ? (value) => unsized.push(value) : undefined,
        }), ...helm];
        if (background && unsized.length) background(() => unsized.some((value) => warmSizeStep(value)));
        return diagnostics;
      } catch (err) {
        return [
          {
            range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
            severity: 1,
            code: 'INTERNAL_ERROR' satisfies FindingCode,
            source: DIAGNOSTIC_SOURCE,
            message: `kplane could not check this file (${err instanceof Error ? err.message : String(err)}). Please report this as a bug.`,
          },
        ];
      }
    },
    doComplete(document, position) {
      return guard({ isIncomplete: false, items: [] }, () => {
        // Completion reads its place from the current text; from the parse it needs only names
        // (layers, variables), so the last parse will do: typing in a 50k-line profile must not
        // wait for a re-parse on every keystroke (redhat-developer/vscode-yaml#626).
        const parsed = parses.get(document.uri)?.parsed ?? parse(document);
        const offset = document.offsetAt(position);
        // Typing past the end of the last parse (a new last line) still belongs to the last document.
        const model = profileAt(parsed, offset) ?? profileAt(parsed, [...parsed.documents].reverse().find((d) => d.start <= offset)?.start ?? 0);
        const helm = guard(undefined, () => helmCompletion(document, position, model, options.helmCharts));
        if (helm) return helm;
        const own = profileAt(parsed, document.offsetAt(position)) ?? profileAt(parsed, 0);
        const of = model ?? own;
        return complete(document, position, own, manifestTypes(document.uri, of?.documentIndex ?? 0, of?.document.value));
      });
    },
    doHover(document, position) {
      return guard(null, () => {
        const model = profileAt(parse(document), document.offsetAt(position));
        if (!model) return null;
        const helm = guard(undefined, () => helmHover(document, model, document.offsetAt(position), options.helmCharts));
        return helm !== undefined ? helm : hover(document, model, document.offsetAt(position), options.clusterSchemas, manifestTypes(document.uri, model.documentIndex, model.document.value)());
      });
    },
    findDocumentSymbols(document) {
      return guard([], () => symbols(document, parse(document)));
    },
    findDefinition(document, position) {
      return guard([], () => {
        const model = profileAt(parse(document), document.offsetAt(position));
        return model ? definition(document, model, document.offsetAt(position)) : [];
      });
    },
    getCodeActions(document, _range, diagnostics) {
      return guard([], () => codeActions(document, parse(document), diagnostics));
    },
    getCodeLenses(document) {
      return guard([], () => {
        const release = options.kubeTypes?.()?.release;
        return release ? checkedAgainstLens(document, parse(document), release, options.liveTargets?.(document.uri) ?? [], (options.now ?? Date.now)()) : [];
      });
    },
    countProfiles(document) {
      return guard(0, () => parse(document).documents.filter(isProfileDocument).length);
    },
    profileNodes(document) {
      return guard([], () => profileNodesOf(parse(document)));
    },
    profileValues(document) {
      return guard([], () =>
        parse(document)
          .documents.filter((d) => isProfileDocument(d) && d.checkable && !d.problems.some((p) => p.severity === 'error'))
          .map((d) => d.value),
      );
    },
    rangeOfFinding(document, index, finding) {
      return guard(undefined, () => {
        const parsed = parse(document);
        const root = parsed.documents[index]?.root;
        if (!root) return undefined;
        const span = spanOfFinding(parsed.text, root, finding);
        return { start: document.positionAt(span.start), end: document.positionAt(span.end) };
      });
    },
    configure(next) {
      options = { ...options, ...next };
    },
    forget(uri) {
      parses.delete(uri);
      renderedCrds.forget(uri);
    },
  };
}
