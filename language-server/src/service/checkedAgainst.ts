/**
 * What a profile file was checked against, for a CodeLens on its first ClusterProfile:
 * "checked against Kubernetes 1.36 + 3 clusters (1 offline, schemas 2 h old)", and one line per
 * target for a closer look. Pure: the clock is a parameter.
 */
import { describeAge, type KubeTypes } from '@kplane/profile';
import type { CodeLens } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CHECKED_AGAINST_COMMAND } from '../protocol.js';
import { isProfileDocument, type ParsedFile } from './yamlParse.js';

/** A target cluster of a document, as the client reported it (../protocol.ts LiveTargetParams). */
export interface LiveTarget {
  name: string;
  state: 'live' | 'cached' | 'unreachable';
  /** Its schema set (clusters of one release and CRD set share the instance); none when unreachable. */
  kube?: KubeTypes;
  kubernetes?: string;
  fetchedAt?: number;
  problems?: readonly string[];
}

/** "v1.36.3" → "1.36". */
const minor = (release: string): string => /^v?(\d+\.\d+)/.exec(release)?.[1] ?? release;

export function checkedAgainstTitle(builtinRelease: string, targets: readonly LiveTarget[], now: number): string {
  const base = `checked against Kubernetes ${minor(builtinRelease)}`;
  if (!targets.length) return base;
  const cached = targets.filter((t) => t.state === 'cached');
  const unreachable = targets.filter((t) => t.state === 'unreachable');
  const notes: string[] = [];
  if (cached.length + unreachable.length) notes.push(`${cached.length + unreachable.length} offline`);
  // The oldest schemas in use are the ones worth knowing about.
  const oldest = Math.min(...cached.map((t) => t.fetchedAt ?? now));
  if (cached.length) notes.push(`schemas ${describeAge(now - oldest)} old`);
  if (unreachable.length) notes.push(`${unreachable.length} never read, not checked`);
  return `${base} + ${targets.length} cluster${targets.length === 1 ? '' : 's'}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

/** One line for the built-in API, then one per target with its problems indented under it. */
export function checkedAgainstLines(builtinRelease: string, targets: readonly LiveTarget[], now: number): string[] {
  const lines = [`built in: Kubernetes ${builtinRelease.replace(/^v/, '')} (kplane's own copy of its API)`];
  for (const t of targets) {
    const release = t.kubernetes ? `Kubernetes ${t.kubernetes.replace(/^v/, '')}` : 'release unknown';
    if (t.state === 'live') lines.push(`${t.name}: live, ${release}`);
    else if (t.state === 'cached') lines.push(`${t.name}: offline, its schemas of ${describeAge(now - (t.fetchedAt ?? now))} ago, ${release}`);
    else lines.push(`${t.name}: offline and never read: its manifests are not checked against it`);
    for (const p of t.problems ?? []) lines.push(`    ${p}`);
  }
  return lines;
}

/** The lens, above the first ClusterProfile document of the file (none in other YAML files). */
export function checkedAgainstLens(document: TextDocument, parsed: ParsedFile, builtinRelease: string, targets: readonly LiveTarget[], now: number): CodeLens[] {
  const first = parsed.documents.find(isProfileDocument);
  if (!first) return [];
  const at = document.positionAt(first.start);
  return [
    {
      range: { start: at, end: at },
      command: { title: checkedAgainstTitle(builtinRelease, targets, now), command: CHECKED_AGAINST_COMMAND, arguments: [document.uri, checkedAgainstLines(builtinRelease, targets, now)] },
    },
  ];
}
