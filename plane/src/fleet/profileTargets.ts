/**
 * Which clusters a profile file's manifests are checked against live (the extension's schema
 * feed): the clusters of the fleet that run one of its profiles, or, when none does yet, every
 * cluster it could be applied to. Read from the text with line patterns, not a parse: the
 * editor asks on every pause in typing, and a superset of group/versions is harmless (one a
 * cluster does not serve is not read). Pure.
 */
import type { ClusterView } from './fleetModel.js';

export interface ProfileFileFacts {
  /** The ClusterProfiles of the file (namespace as written; undefined: the fleet's namespace). */
  profiles: { name: string; namespace?: string }[];
  /** apiVersions written in the file, sorted. */
  groupVersions: string[];
}

const API_VERSION = /^[ \t-]*apiVersion:[ \t]*["']?([A-Za-z0-9.\-/]+)["']?[ \t]*(#.*)?$/gm;
const SCALAR = /^["']?([^"'#\s]+)["']?[ \t]*(#.*)?$/;

export function profileFileFacts(text: string): ProfileFileFacts {
  const groupVersions = new Set<string>();
  for (let m = API_VERSION.exec(text); m; m = API_VERSION.exec(text)) groupVersions.add(m[1]);
  const profiles: ProfileFileFacts['profiles'] = [];
  // Documents start at `---` lines; a profile's name and namespace are its top-level metadata's.
  for (const doc of text.split(/^---[ \t]*(?:#.*)?$/m)) {
    if (!/^kind:[ \t]*["']?ClusterProfile["']?[ \t]*(#.*)?$/m.test(doc)) continue;
    const metadata = /^metadata:[ \t]*\r?\n((?:(?:[ \t]+.*|[ \t]*)(?:\r?\n|$))*)/m.exec(doc)?.[1] ?? '';
    // Only the first level under metadata (labels may hold a `name:` too).
    const indent = /^([ \t]+)\S/m.exec(metadata)?.[1] ?? '';
    const field = (key: string) => {
      const line = metadata.split(/\r?\n/).find((l) => l.startsWith(`${indent}${key}:`));
      return line === undefined ? undefined : SCALAR.exec(line.slice(indent.length + key.length + 1).trim())?.[1];
    };
    const name = field('name');
    if (name) profiles.push({ name, namespace: field('namespace') });
  }
  return { profiles, groupVersions: [...groupVersions].sort() };
}

/**
 * The ids of the clusters to check the file's profiles against: those that run one of them (same
 * name and namespace); when none does, every cluster they could be applied to. Hub members are
 * read through their hub, whose API is not theirs: they are left out.
 */
export function profileTargets(facts: ProfileFileFacts, clusters: readonly ClusterView[], fleetNamespace: string): { ids: string[]; running: boolean } {
  const direct = clusters.filter((c) => c.hub === undefined);
  const wanted = new Set(facts.profiles.map((p) => `${p.namespace ?? fleetNamespace}/${p.name}`));
  const running = direct.filter((c) => c.profiles.some((p) => wanted.has(`${p.namespace || fleetNamespace}/${p.name}`)));
  if (running.length) return { ids: running.map((c) => c.id).sort(), running: true };
  return { ids: facts.profiles.length ? direct.map((c) => c.id).sort() : [], running: false };
}
