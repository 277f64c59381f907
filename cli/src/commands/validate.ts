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
import { checkProfileGraph, parseDuration, parseKubeVersion, type FindingCode, type ProfileNode, type SchemaTarget } from '@kplane/profile';
import { builtinKubeTypes, KUBERNETES_RELEASE } from '@kplane/language-server/kube-schemas';
import { HelmChartStore } from '@kplane/language-server/helm-charts';
import { helmLayerDiagnostics, renderedCrdsOf, renderHelmLayers, type HelmValidationStats } from '../helmValidation.js';
import type { Command } from '../main.js';

const usage = `Usage: kplane validate <files or dirs...> [--format text|json] [--kube-version <v>] [--offline] [--ca-file PEM]
                      [--context NAME[,NAME…] | --all-contexts] [--kubeconfig PATHS] [--timeout 15s] [--strict]

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
  --context       also check every manifest, and every object a Helm layer renders, against the live
                  API of these kubeconfig contexts (their version, kinds and CRDs, OpenAPI v3 of the
                  group/versions the profiles and their charts use);
                  a finding that holds on some targets only says where ("On cluster eu-prod-1: …")
  --all-contexts  every context of the kubeconfig
  --kubeconfig    KUBECONFIG-style list of files (default: $KUBECONFIG, ~/.kube/config)
  --timeout       deadline of each request to a cluster (default 15s)
  --strict        warnings fail too, and so does a context that cannot be reached (without it,
                  an unreachable context is reported and checked against its cached schemas, or skipped)

Schemas read from clusters are kept in $XDG_CACHE_HOME/kplane/schemas (default ~/.cache/kplane/schemas)
and revalidated with ETags.

Exit status: 0 no errors (warnings allowed), 1 errors found (or warnings and unreachable
contexts with --strict), 2 usage or I/O problem.`;

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

/**
 * A long line is cut to this many characters around the finding: the whole of a 233 KB line,
 * once per each of its 3,000 findings, printed 1 GB.
 */
const EXCERPT_WIDTH = 160;

function excerpt(lines: string[], d: FileReport['diagnostics'][number]): string {
  const source = lines[d.range.start.line] ?? '';
  const from = Math.min(d.range.start.character, source.length);
  const to = d.range.end.line === d.range.start.line ? Math.min(d.range.end.character, source.length) : source.length;
  let start = 0;
  let end = source.length;
  if (source.length > EXCERPT_WIDTH) {
    start = Math.max(0, Math.min(from - 40, source.length - EXCERPT_WIDTH));
    end = start + EXCERPT_WIDTH;
  }
  const head = start > 0 ? '…' : '';
  const tail = end < source.length ? '…' : '';
  const shown = source.slice(start, end);
  // Keep tabs as tabs so the carets line up under them.
  const pad = (head ? ' ' : '') + shown.slice(0, from - start).replace(/[^\t]/g, ' ');
  return `  ${head}${shown}${tail}\n  ${pad}${'^'.repeat(Math.max(1, Math.min(to, end) - from))}`;
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
      ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { format: { type: 'string', default: 'text' }, 'kube-version': { type: 'string' }, offline: { type: 'boolean', default: false }, 'ca-file': { type: 'string' }, context: { type: 'string', multiple: true }, 'all-contexts': { type: 'boolean' }, kubeconfig: { type: 'string' }, timeout: { type: 'string', default: '15s' }, strict: { type: 'boolean' } } }));
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
    const contextNames = (values.context ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
    const allContexts = values['all-contexts'] === true;
    const timeoutMs = parseDuration(values.timeout!);
    if ((contextNames.length && allContexts) || !timeoutMs) {
      console.error(`kplane validate: ${timeoutMs ? 'give --context or --all-contexts, not both' : `--timeout "${values.timeout}" is no duration: write e.g. 15s`}.\n\n${usage}`);
      return 2;
    }
    const strict = values.strict === true;

    const ioErrors: string[] = [];
    const targets = await collect(positionals, ioErrors);
    const offline = values.offline === true;
    let fetched = 0;
    const store = new HelmChartStore({ offline, caFile: values['ca-file'], quietMs: 0, onChange: () => fetched++ });
    const helmStats: HelmValidationStats = { rendered: 0, notRendered: 0 };
    const files: { target: Target; text: string }[] = [];
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
      files.push({ target, text: new TextDecoder('utf-8').decode(bytes) });
    }

    let live: LiveTargets = { targets: [], lines: [], failed: 0 };
    // Messages may quote a cluster's text (field names, enum values of its CRDs).
    let safe = (text: string): string => text;
    if (contextNames.length || allContexts) {
      safe = (await import('@kplane/plane')).terminalSafe;
      const found = await liveTargets(contextNames, allContexts, values.kubeconfig, timeoutMs, files.map((f) => f.text));
      if ('exitCode' in found) return found.exitCode;
      live = found;
    }
    const service = getLanguageService({ kubeTypes: builtinKubeTypes, kubeVersion, helmCharts: store, targets: live.targets.length ? live.targets : undefined });
    const reports: FileReport[] = [];
    const texts = new Map<string, string>();
    const nodes: ProfileNode<{ report: FileReport; document: number }>[] = [];
    let skipped = 0;
    for (const { target, text } of files) {
      const document = textDocument(pathToFileURL(resolve(target.file)).href, text);
      const expected = target.explicit || isProfileFileName(target.file) ? 'error' : undefined;
      if (!expected && service.countProfiles(document) === 0) {
        skipped++;
        service.forget(document.uri);
        continue;
      }
      // Dependencies between profiles are checked below, over every file at once.
      let diagnostics = service.doValidation(document, { expectProfile: expected, profileGraph: false });
      // Helm layers: their charts were asked for by that pass; once fetched (or read from the cache),
      // each is rendered, and the file checked again if a chart was fetched or renders CRDs (their
      // kinds are known to the profile's manifests too).
      const before = fetched;
      await store.settled();
      // Helm layers parse the text again: not when the service refused to parse it (a 20 MB file
      // took minutes and ran out of heap), nor when no layer names a chart.
      const unparsed = diagnostics.some((d) => d.code === 'FILE_TOO_LARGE' || d.code === 'BINARY_CONTENT');
      const renders = unparsed || !/\bhelm["']?\s*:/.test(text) ? undefined : await renderHelmLayers(document, service, { store, offline });
      const crds = renders && renderedCrdsOf(renders);
      if (fetched > before || crds) diagnostics = service.doValidation(textDocument(document.uri, text, 2), { expectProfile: expected, profileGraph: false, customResourceDefinitions: crds });
      const unavailable = new Set(diagnostics.filter((d) => d.code === 'HELM_CHART_UNAVAILABLE').map((d) => d.range.start.line));
      const helmFindings = renders ? await helmLayerDiagnostics(renders, { offline, kube: builtinKubeTypes(), kubeVersion, stats: helmStats, alreadyUnavailable: (line) => unavailable.has(line), targets: live.withGroupVersions }) : [];
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
    const warnings = count('warning');
    if (format === 'json') {
      console.log(JSON.stringify(reports));
    } else {
      for (const report of reports) {
        const lines = (texts.get(report.file) ?? '').split(/\r?\n/);
        for (const d of report.diagnostics) {
          console.log(`${report.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code} ${safe(d.message)}`);
          console.log(excerpt(lines, d));
        }
      }
      if (helmStats.rendered || helmStats.notRendered) {
        const why = offline ? ' (--offline: charts not in the cache were not fetched)' : '';
        console.log(`Helm layers: ${helmStats.rendered} rendered with helm template and checked${helmStats.notRendered ? `, ${helmStats.notRendered} not rendered${why}` : ''}`);
      } else if (offline) console.log('--offline: no chart was fetched');
      const checked = `${reports.length} profile file${reports.length === 1 ? '' : 's'}`;
      const skippedNote = skipped ? ` (${skipped} YAML file${skipped === 1 ? '' : 's'} without a ClusterProfile skipped)` : '';
      if (contextNames.length || allContexts) console.log(safe(`checked against: built-in Kubernetes ${KUBERNETES_RELEASE}${live.lines.map((l) => ` · ${l}`).join('')}`));
      console.log(errors || warnings ? `${errors} error(s), ${warnings} warning(s) in ${checked}${skippedNote}` : `${checked} checked, no problems${skippedNote}`);
    }
    for (const message of ioErrors) console.error(`kplane validate: ${message}`);
    if (ioErrors.length) return 2;
    return errors || (strict && (warnings || live.failed)) ? 1 : 0;
  },
};

interface LiveTargets {
  targets: SchemaTarget[];
  /** "eu-prod-1 (live, v1.36.3)", one per context, for the "checked against" line. */
  lines: string[];
  /** Contexts that did not answer (checked against their cached schemas, or skipped). */
  failed: number;
  /** The same targets with the schemas of these group/versions too: what a Helm chart renders is not in the profile's text. */
  withGroupVersions?: (groupVersions: readonly string[]) => Promise<readonly SchemaTarget[]>;
}

/**
 * The group/versions the files use, read from their text: a superset is harmless (a
 * group/version a cluster does not serve is not read), and it avoids parsing every file twice.
 */
function usedGroupVersions(texts: readonly string[]): string[] {
  const found = new Set<string>();
  const line = /^[ \t-]*apiVersion:[ \t]*["']?([A-Za-z0-9.\-/]+)["']?[ \t]*(#.*)?$/gm;
  for (const text of texts) for (let m = line.exec(text); m; m = line.exec(text)) found.add(m[1]);
  return [...found].sort();
}

/** Each context's live schema set; an unreachable context is reported and skipped (a failure with --strict). */
async function liveTargets(names: string[], all: boolean, kubeconfig: string | undefined, timeoutMs: number, texts: readonly string[]): Promise<LiveTargets | { exitCode: number }> {
  // Loaded only with --context: the plain offline check stays as fast to start as before.
  const { fleetContexts, loadKubeconfig, KubeClient, LiveSchemaStore, describeAge } = await import('@kplane/plane/cluster');
  const { kubeConfigConnection } = await import('@kplane/kube');
  const { terminalSafe: terminalText } = await import('@kplane/plane');
  const loaded = loadKubeconfig(kubeconfig ?? '');
  const { contexts, unknown } = fleetContexts(loaded.kubeConfig, all ? undefined : names);
  for (const e of [...loaded.errors, ...unknown.map((n) => `context "${n}" is not in the kubeconfig: check the name (kubectl config get-contexts)`)]) console.error(`kplane validate: ${e}`);
  if (unknown.length || loaded.errors.length) return { exitCode: 2 };
  if (!contexts.length) {
    console.error('kplane validate: the kubeconfig has no contexts to check against.');
    return { exitCode: 2 };
  }
  const store = new LiveSchemaStore({ timeoutMs });
  const groupVersions = usedGroupVersions(texts);
  const result: LiveTargets = { targets: [], lines: [], failed: 0 };
  const sets = await Promise.all(
    contexts.map(async (context) => {
      const client = new KubeClient(kubeConfigConnection(context.kubeConfig), { context: context.name });
      try {
        return { context: context.name, set: await store.schemaSet(client, groupVersions) };
      } catch (err) {
        return { context: context.name, error: err instanceof Error ? err.message : String(err) };
      } finally {
        client.close();
      }
    }),
  );
  const printed = new Set<string>();
  for (const one of sets) {
    if ('error' in one) {
      console.error(terminalText(`kplane validate: context ${one.context} skipped: ${one.error} (nothing cached for it either)`));
      result.lines.push(`${one.context} (unreachable, skipped)`);
      result.failed++;
      continue;
    }
    const { set } = one;
    for (const problem of set.problems) console.error(terminalText(`kplane validate: ${problem}`));
    set.problems.forEach((p) => printed.add(p));
    if (set.state === 'cached') result.failed++;
    result.targets.push({ name: set.context, kube: set.kube });
    result.lines.push(`${set.context} (${set.state === 'live' ? 'live' : `cached, ${describeAge(Date.now() - set.fetchedAt)} old`}, ${set.kubernetes})`);
  }
  // Asked again per chart: the store keeps discovery for a minute, so only documents not read yet are fetched.
  const reached = contexts.filter((c) => result.targets.some((t) => t.name === c.name));
  const asked = new Map<string, Promise<readonly SchemaTarget[]>>();
  result.withGroupVersions = (more) => {
    const wanted = [...new Set([...groupVersions, ...more])].sort();
    if (wanted.length === groupVersions.length) return Promise.resolve(result.targets);
    const key = wanted.join(' ');
    const known = asked.get(key);
    if (known) return known;
    const answer = Promise.all(
      reached.map(async (context) => {
        const client = new KubeClient(kubeConfigConnection(context.kubeConfig), { context: context.name });
        try {
          const set = await store.schemaSet(client, wanted);
          for (const problem of set.problems.filter((p) => !printed.has(p))) console.error(terminalText(`kplane validate: ${problem}`));
          set.problems.forEach((p) => printed.add(p));
          return [{ name: set.context, kube: set.kube }];
        } catch {
          return result.targets.filter((t) => t.name === context.name); // stopped answering since: what it was checked with
        } finally {
          client.close();
        }
      }),
    ).then((lists) => lists.flat());
    asked.set(key, answer);
    return answer;
  };
  return result;
}
