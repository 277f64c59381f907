/**
 * What the Profiles view lists from one workspace file: its ClusterProfiles, read with the
 * language server's limits (size, documents, nodes, alias expansion, depth), never throwing. The
 * view used to parse every file with no guard: an alias bomb threw and emptied the view, and a
 * 300,000-document file took the extension host 12 s and 547 MB. No `vscode`: unit-tested alone.
 */
import { PROFILE_KIND } from '@kplane/profile';
import { LIMITS, isProfileDocument, parseYamlFile } from '@kplane/language-server/yaml-parse';

export interface ProfileSummary {
  name: string;
  namespace: string;
  version: string;
}

/** A file larger than this (in bytes) is not read at all: the language server checks no larger file either. */
export const MAX_PROFILE_FILE_BYTES = LIMITS.maxFileChars;

export function profilesInText(text: string): ProfileSummary[] {
  if (text.length > LIMITS.maxFileChars || !/^kind:\s*ClusterProfile\s*$/m.test(text)) return [];
  const found: ProfileSummary[] = [];
  for (const doc of parseYamlFile(text).documents) {
    if (!isProfileDocument(doc) || !doc.checkable) continue;
    const value = doc.value as { kind?: string; metadata?: { name?: unknown; namespace?: unknown }; spec?: { version?: unknown } } | null;
    if (value?.kind !== PROFILE_KIND || typeof value.metadata?.name !== 'string') continue;
    const namespace = value.metadata.namespace;
    found.push({ name: value.metadata.name, namespace: typeof namespace === 'string' ? namespace : 'kplane-system', version: String(value.spec?.version ?? '?') });
  }
  return found;
}
