/**
 * `kplane validate <files or dirs...> [--format text|json]`: the language server's checks, for CI.
 * Exit 0 without errors, 1 with errors, 2 on usage or I/O problems (those win over 1).
 */
import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { getLanguageService, isProfileFileName, textDocument } from '@kplane/language-server';
import { checkProfileGraph, parseKubeVersion, type FindingCode, type ProfileNode } from '@kplane/profile';
import { builtinKubeTypes, KUBERNETES_RELEASE } from '@kplane/language-server/kube-schemas';
import { HelmChartStore } from '@kplane/language-server/helm-charts';
import { helmLayerDiagnostics, type HelmValidationStats } from '../helmValidation.js';
import type { Command } from '../main.js';

const usage = `Usage: kplane validate <files or dirs...> [--format text|json] [--kube-version <v>] [--offline] [--ca-file PEM]

Checks ClusterProfile YAML files as the editor does: YAML syntax, the schema, the rules no
schema expresses (layer graph, variables, duplicate objects, scaling), every manifest against
the built-in Kubernetes ${KUBERNETES_RELEASE} API and the profile's own CRDs (unknown fields, types,
required fields, enums, removed APIs), and dependencies between all the profiles given
(spec.dependsOn: cycles, profiles none of the files define). Helm layers: values against the
chart's values.schema.json (or its values.yaml keys), and the chart rendered with the real
\`helm template\` (helm on PATH or KPLANE_HELM), every rendered object checked like a manifest;
charts are fetched once into ~/.cache/kplane/charts. Directories are searched for *.yaml
and *.yml; files there without a ClusterProfile are skipped. A file named on the command line
must hold a ClusterProfile.

  --format        text (default): file:line:col: severity code message, with the line and a caret
                  json: [{"file","diagnostics":[{"range","severity","code","message"}]}], 0-based as in LSP
  --kube-version  the Kubernetes release the profiles target, e.g. 1.24: APIs removed by then
                  are errors, APIs removed later warnings (default: ${KUBERNETES_RELEASE})
  --offline       fetch no chart: Helm layers whose chart is not cached are not rendered (said so)
  --ca-file       PEM of a CA to trust for chart repositories

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O problem.`;

/** Files bigger than this are not read at all; the service reports anything above 4 M characters anyway. */
const MAX_READ_BYTES = 64 * 1024 * 1024;

type Severity = 'error' | 'warning' | 'information' | 'hint';
/** LSP's DiagnosticSeverity numbers, 1 to 4. */
const SEVERITY_NAMES: Severity[] = ['error', 'error', 'warning', 'information', 'hint'];

interface Position {
  line: number;
  character: number;
}

interface Target {
  /** The path as the user gave it (or as found under a directory they gave). */
  file: string;
  explicit: boolean;
}

export interface FileReport {
  file: string;
  /** `code` is one of docs/diagnostics.md. */
  diagnostics: { range: { start: Position; end: Position }; severity: Severity; code: FindingCode; message: string }[];
}

/**
 * Reads a regular file, at most `max` bytes whatever its stat says (/proc files say 0, a file may
 * grow while read). Anything else (a FIFO would hang, /dev/zero never ends) is refused: the
 * answer is then the message. Opened non-blocking and checked on the open handle, so a path
 * swapped for a FIFO after a stat cannot hang it either.
 */
async function readBounded(file: string, max: number): Promise<Buffer | string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = info.isFIFO() ? 'a FIFO (named pipe)' : info.isCharacterDevice() ? 'a character device' : info.isBlockDevice() ? 'a block device' : info.isSocket() ? 'a socket' : 'not a regular file';
      return `"${file}" is ${kind}; kplane validate reads regular files only: name the profile file itself.`;
    }
    const tooLarge = `"${file}" is larger than ${max / 1024 / 1024} MB; kplane validate reads files up to that size. Is it a profile?`;
    if (info.size > max) return tooLarge;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1024 * 1024, max + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) return tooLarge;
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

async function collect(paths: string[], ioErrors: string[]): Promise<Target[]> {
  const targets: Target[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      ioErrors.push(`cannot read directory "${dir}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) targets.push({ file: path, explicit: false });
    }
  };
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (info.isDirectory()) await walk(path);
      else targets.push({ file: path, explicit: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      ioErrors.push(code === 'ENOENT' ? `"${path}" does not exist: check the path.` : `cannot read "${path}": ${code ?? (err as Error).message}`);
    }
  }
  return targets;
}

/** The line of a diagnostic, then carets under its range (to the line's end when it spans lines). */
function byPosition(a: { range: { start: Position } }, b: { range: { start: Position } }): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

function excerpt(lines: string[], d: FileReport['diagnostics'][number]): string {
  const source = lines[d.range.start.line] ?? '';
  const from = Math.min(d.range.start.character, source.length);
  const to = d.range.end.line === d.range.start.line ? Math.min(d.range.end.character, source.length) : source.length;
  // Keep tabs as tabs so the carets line up under them.
  const pad = source.slice(0, from).replace(/[^\t]/g, ' ');
  return `  ${source}\n  ${pad}${'^'.repeat(Math.max(1, to - from))}`;
}

/** Cycles and missing dependencies across all the profiles given, placed in their files. */
function graphFindings(nodes: ProfileNode<{ report: FileReport; document: number }>[], texts: Map<string, string>): void {
  const found = checkProfileGraph(nodes, { reportMissing: true });
  if (!found.length) return;
  // Ranges need the parse again: only files with such findings pay for it.
  const service = getLanguageService();
  const touched = new Set<FileReport>();
  for (const { node, finding } of found) {
    const { report, document: index } = node.source;
    const document = textDocument(pathToFileURL(resolve(report.file)).href, texts.get(report.file) ?? '');
    const range = service.rangeOfFinding(document, index, finding) ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
    report.diagnostics.push({ range, severity: finding.severity, code: finding.code, message: finding.message });
    touched.add(report);
  }
  for (const report of touched) report.diagnostics.sort(byPosition);
}

export const command: Command = {
  summary: 'check ClusterProfile files (as the editor does), for CI',
  usage,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { format: { type: 'string', default: 'text' }, 'kube-version': { type: 'string' }, offline: { type: 'boolean', default: false }, 'ca-file': { type: 'string' } } }));
    } catch (err) {
      console.error(`kplane validate: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const format = values.format;
    if (format !== 'text' && format !== 'json') {
      console.error(`kplane validate: --format must be text or json, not "${format}".\n\n${usage}`);
      return 2;
    }
    const kubeVersion = values['kube-version'];
    if (kubeVersion !== undefined && !parseKubeVersion(kubeVersion)) {
      console.error(`kplane validate: --kube-version "${kubeVersion}" is no Kubernetes version: write e.g. 1.24 or v1.30.2.\n\n${usage}`);
      return 2;
    }
    if (positionals.length === 0) {
      console.error(`kplane validate: name at least one file or directory.\n\n${usage}`);
      return 2;
    }

    const ioErrors: string[] = [];
    const targets = await collect(positionals, ioErrors);
    const offline = values.offline === true;
    let fetched = 0;
    const store = new HelmChartStore({ offline, caFile: values['ca-file'], quietMs: 0, onChange: () => fetched++ });
    const helmStats: HelmValidationStats = { rendered: 0, notRendered: 0 };
    const service = getLanguageService({ kubeTypes: builtinKubeTypes, kubeVersion, helmCharts: store });
    const reports: FileReport[] = [];
    const texts = new Map<string, string>();
    const nodes: ProfileNode<{ report: FileReport; document: number }>[] = [];
    let skipped = 0;
    for (const target of targets) {
      let bytes: Buffer;
      try {
        const read = await readBounded(target.file, MAX_READ_BYTES);
        if (typeof read === 'string') {
          ioErrors.push(read);
          continue;
        }
        bytes = read;
      } catch (err) {
        ioErrors.push(`cannot read "${target.file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        continue;
      }
      // Undecodable bytes become U+FFFD, which the service reports as binary or non-UTF-8 content.
      const text = new TextDecoder('utf-8').decode(bytes);
      const document = textDocument(pathToFileURL(resolve(target.file)).href, text);
      const expected = target.explicit || isProfileFileName(target.file) ? 'error' : undefined;
      if (!expected && service.countProfiles(document) === 0) {
        skipped++;
        service.forget(document.uri);
        continue;
      }
      // Dependencies between profiles are checked below, over every file at once.
      let diagnostics = service.doValidation(document, { expectProfile: expected, profileGraph: false });
      // Helm layers: their charts were asked for by that pass; once fetched (or read from the cache), check again.
      const before = fetched;
      await store.settled();
      if (fetched > before) diagnostics = service.doValidation(textDocument(document.uri, text, 2), { expectProfile: expected, profileGraph: false });
      const unavailable = new Set(diagnostics.filter((d) => d.code === 'HELM_CHART_UNAVAILABLE').map((d) => d.range.start.line));
      // Helm layers parse the text again: not when the service refused to parse it (a 20 MB file
      // took minutes and ran out of heap), nor when no layer names a chart.
      const unparsed = diagnostics.some((d) => d.code === 'FILE_TOO_LARGE' || d.code === 'BINARY_CONTENT');
      const helmFindings = unparsed || !/\bhelm["']?\s*:/.test(text) ? [] : await helmLayerDiagnostics(document, service, { store, offline, kube: builtinKubeTypes(), kubeVersion, stats: helmStats, alreadyUnavailable: (line) => unavailable.has(line) });
      const fileNodes = service.profileNodes(document);
      service.forget(document.uri);
      texts.set(target.file, text);
      reports.push({
        file: target.file,
        // In file order, as a person reads the file (the service groups them by kind of check).
        diagnostics: [
          ...diagnostics.map((d) => ({
            range: d.range,
            severity: SEVERITY_NAMES[d.severity ?? 1] ?? 'error',
            code: d.code,
            message: typeof d.message === 'string' ? d.message : d.message.value,
          })),
          ...helmFindings,
        ].sort(byPosition),
      });
      const report = reports[reports.length - 1];
      for (const node of fileNodes) nodes.push({ ...node, source: { report, document: node.source } });
    }
    graphFindings(nodes, texts);

    const count = (severity: string) => reports.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === severity).length, 0);
    const errors = count('error');
    if (format === 'json') {
      console.log(JSON.stringify(reports));
    } else {
      for (const report of reports) {
        const lines = (texts.get(report.file) ?? '').split(/\r?\n/);
        for (const d of report.diagnostics) {
          console.log(`${report.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code} ${d.message}`);
          console.log(excerpt(lines, d));
        }
      }
      const warnings = count('warning');
      if (helmStats.rendered || helmStats.notRendered) {
        const why = offline ? ' (--offline: charts not in the cache were not fetched)' : '';
        console.log(`Helm layers: ${helmStats.rendered} rendered with helm template and checked${helmStats.notRendered ? `, ${helmStats.notRendered} not rendered${why}` : ''}`);
      } else if (offline) console.log('--offline: no chart was fetched');
      const files = `${reports.length} profile file${reports.length === 1 ? '' : 's'}`;
      const skippedNote = skipped ? ` (${skipped} YAML file${skipped === 1 ? '' : 's'} without a ClusterProfile skipped)` : '';
      console.log(errors || warnings ? `${errors} error(s), ${warnings} warning(s) in ${files}${skippedNote}` : `${files} checked, no problems${skippedNote}`);
    }
    for (const message of ioErrors) console.error(`kplane validate: ${message}`);
    if (ioErrors.length) return 2;
    return errors ? 1 : 0;
  },
};
