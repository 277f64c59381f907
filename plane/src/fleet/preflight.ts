/**
 * Preflight for Apply: the language server's own checks (schema and semantic rules, the same the
 * editor shows), then the ClusterProfile objects of the file. Errors block an apply.
 */
import { getLanguageService, textDocument } from '@kplane/language-server';
import type { ClusterProfile } from '@kplane/profile';

export interface Preflight {
  profiles: ClusterProfile[];
  /** "file:line:col code message", one per error. */
  errors: string[];
  warnings: number;
}

let service: ReturnType<typeof getLanguageService> | undefined;

export function preflightProfile(uri: string, label: string, text: string): Preflight {
  service ??= getLanguageService();
  const document = textDocument(uri, text);
  const diagnostics = service.doValidation(document, { expectProfile: 'error' });
  const profiles = service.profileValues(document) as ClusterProfile[];
  service.forget(uri);
  const errors = diagnostics
    .filter((d) => d.severity === 1)
    .map((d) => `${label}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.code ?? ''} ${d.message}`.replace(/ {2,}/g, ' '));
  const warnings = diagnostics.filter((d) => d.severity === 2).length;
  if (!errors.length && !profiles.length) errors.push(`${label}: no ClusterProfile in this file; a profile starts with "apiVersion: kplane.dev/v1alpha1" and "kind: ClusterProfile"`);
  return { profiles, errors, warnings };
}
