/**
 * The values editor: Monaco + monaco-yaml, bundled locally. monaco-yaml validates against the
 * profile's values schema while typing (in its worker); checkValues (the same code the host's
 * gate runs) adds type and range findings at once; the host's full check (semantic rules on the
 * profile with these values) arrives as a `findings` message and replaces the local one.
 */
import { configureMonacoYaml, type JSONSchema, type MonacoYaml } from 'monaco-yaml';
import { createWebWorker } from 'monaco-editor/internal/common/workers.js';
import { monaco } from './monacoLean.js';
import type { ProfileRef, ValuesFinding } from './protocol.js';
import type { Variable } from '@kplane/profile/model';
import { checkValues } from './valuesCheck.js';

export interface WorkerUrls {
  editor: string;
  yaml: string;
}

/**
 * Workers are created from blob: URLs holding the fetched script, because a webview's scripts
 * live on another origin than the page, and a Worker must be same-origin (CSP: worker-src blob:).
 */
function installWorkers(urls: WorkerUrls): void {
  const sources = new Map<string, Promise<string>>();
  const load = (url: string) => {
    let text = sources.get(url);
    if (!text) {
      text = fetch(url).then((r) => {
        if (!r.ok) throw new Error(`could not load worker ${url}: HTTP ${r.status}`);
        return r.text();
      });
      sources.set(url, text);
    }
    return text;
  };
  (self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
    async getWorker(_moduleId: string, label: string): Promise<Worker> {
      const text = await load(label === 'yaml' ? urls.yaml : urls.editor);
      return new Worker(URL.createObjectURL(new Blob([text], { type: 'text/javascript' })), { name: label });
    },
  };
}

/** A Monaco theme from the VS Code theme's CSS variables, so the editor matches the workbench. */
function defineTheme(): string {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const kind = document.body.classList.contains('vscode-light') ? 'vs' : document.body.classList.contains('vscode-high-contrast') ? 'hc-black' : 'vs-dark';
  monaco.editor.defineTheme('kplane', {
    base: kind,
    inherit: true,
    rules: [],
    colors: {
      'editor.background': v('--vscode-editor-background', kind === 'vs' ? '#ffffff' : '#1e1e1e'),
      'editor.foreground': v('--vscode-editor-foreground', kind === 'vs' ? '#000000' : '#d4d4d4'),
    },
  });
  return 'kplane';
}

/**
 * monaco-yaml 5 (through monaco-worker-manager) creates its worker with the pre-0.55
 * `editor.createWebWorker({ moduleId, label, createData })`; monaco-editor 0.57 moved that form to
 * an internal helper and `editor.createWebWorker` now wants a Worker. Hand monaco-yaml the helper.
 */
function yamlCompatibleMonaco(): typeof monaco {
  return { ...monaco, editor: { ...monaco.editor, createWebWorker: createWebWorker as unknown as typeof monaco.editor.createWebWorker } };
}

export interface ValuesEditorHost {
  validate(ref: ProfileRef, yaml: string): void;
  apply(ref: ProfileRef, yaml: string): void;
  onFindings(findings: ValuesFinding[]): void;
}

export class ValuesEditor {
  private readonly editor: monaco.editor.IStandaloneCodeEditor;
  private readonly yaml: MonacoYaml;
  private model?: monaco.editor.ITextModel;
  private ref?: ProfileRef;
  private variables: Variable[] = [];
  private kept: string[] = [];
  private timer?: ReturnType<typeof setTimeout>;

  constructor(container: HTMLElement, workers: WorkerUrls, private readonly host: ValuesEditorHost) {
    installWorkers(workers);
    this.yaml = configureMonacoYaml(yamlCompatibleMonaco(), { enableSchemaRequest: false, validate: true, completion: true, hover: true, schemas: [] });
    this.editor = monaco.editor.create(container, {
      theme: defineTheme(),
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      scrollBeyondLastLine: false,
      tabSize: 2,
      quickSuggestions: { other: true, comments: false, strings: true },
    });
    this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => this.save());
  }

  /** Shows one profile's values on one cluster. */
  open(ref: ProfileRef, text: string, variables: Variable[], schema: Record<string, unknown>, kept: string[]): void {
    this.ref = ref;
    this.variables = variables;
    this.kept = kept;
    // One model URI per cluster/profile, so monaco-yaml's schema is matched by fileMatch.
    const uri = monaco.Uri.parse(`kplane://values/${encodeURIComponent(ref.context)}/${ref.namespace}/${ref.name}.yaml`);
    this.yaml.update({
      enableSchemaRequest: false,
      validate: true,
      schemas: [{ uri: `kplane://schema/${encodeURIComponent(ref.context)}/${ref.namespace}/${ref.name}`, fileMatch: [uri.toString()], schema: schema as JSONSchema }],
    });
    this.model?.dispose();
    this.model = monaco.editor.createModel(text, 'yaml', uri);
    this.model.onDidChangeContent(() => this.scheduleCheck());
    this.editor.setModel(this.model);
    this.scheduleCheck();
  }

  text(): string {
    return this.model?.getValue() ?? '';
  }

  save(): void {
    if (this.ref && this.model) this.host.apply(this.ref, this.model.getValue());
  }

  /** Findings from the host replace the local ones (they include them). */
  showFindings(findings: ValuesFinding[]): void {
    if (!this.model) return;
    const model = this.model;
    const markers = findings.map((f) => {
      const start = model.getPositionAt(f.start ?? 0);
      const end = f.end !== undefined ? model.getPositionAt(f.end) : model.getPositionAt(model.getValueLength());
      return {
        severity: f.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
        message: f.message,
        code: f.code,
        source: 'kplane',
        startLineNumber: start.lineNumber,
        startColumn: start.column,
        endLineNumber: end.lineNumber,
        endColumn: end.column,
      };
    });
    monaco.editor.setModelMarkers(model, 'kplane', markers);
    this.host.onFindings(findings);
  }

  private scheduleCheck(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.ref || !this.model) return;
      const text = this.model.getValue();
      // Instant local findings, then the host's full check.
      this.showFindings(checkValues(text, { variables: this.variables }, this.kept).findings);
      this.host.validate(this.ref, text);
    }, 250);
  }
}
