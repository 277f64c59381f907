/**
 * The extension host's gate for edited values: checkValues (types, ranges, undeclared names) plus
 * the profile's full validation run on the profile *with the edited values*, reporting only the
 * findings the edit introduced. The validator is injected (validateProfile from @kplane/profile in
 * the host) so this file stays free of ajv, whose generated code a webview CSP refuses.
 */
import { isMap, isScalar, parseDocument, type Node as YamlNode } from 'yaml';
import type { ClusterProfile, VariableValue, FindingCode } from '@kplane/profile/model';
import type { ValuesFinding } from './protocol.js';
import { checkValues } from './valuesCheck.js';

/** The shape of validateProfile's findings that the gate needs. */
export interface ProfileFinding {
  code: FindingCode;
  severity: 'error' | 'warning' | 'information' | 'hint';
  message: string;
  path: (string | number)[];
  on?: 'key' | 'value';
}

export type ProfileValidator = (doc: unknown) => ProfileFinding[];

export interface ValuesVerdict {
  /** Set only when there is no error: the values to write. */
  values?: Record<string, VariableValue>;
  findings: ValuesFinding[];
}

/**
 * Sensitive values are not shown in the editor, so they are not in `yaml`: the profile's current
 * ones are kept unless the text sets them.
 */
export function hiddenValues(profile: ClusterProfile): Record<string, VariableValue> {
  const sensitive = new Set((profile.spec?.variables ?? []).filter((v) => v.sensitive).map((v) => v.name));
  return Object.fromEntries(Object.entries(profile.spec?.values ?? {}).filter(([name]) => sensitive.has(name)));
}

export function judgeValues(yaml: string, profile: ClusterProfile, validate: ProfileValidator): ValuesVerdict {
  const hidden = hiddenValues(profile);
  const local = checkValues(yaml, profile.spec, Object.keys(hidden));
  if (!local.values) return { findings: local.findings };
  const values = { ...hidden, ...local.values };
  const before = new Set(validate(profile).map(findingKey));
  const edited = { ...profile, spec: { ...profile.spec, values } };
  const introduced = validate(edited).filter((f) => !before.has(findingKey(f)) && (f.severity === 'error' || f.severity === 'warning'));
  const findings: ValuesFinding[] = [...local.findings];
  for (const f of introduced) {
    const inValues = f.path[0] === 'spec' && f.path[1] === 'values';
    const path = inValues ? f.path.slice(2) : [];
    findings.push({
      code: f.code,
      severity: f.severity === 'error' ? 'error' : 'warning',
      // A finding elsewhere in the profile (e.g. a manifest the value is substituted into) is
      // shown on the whole document, with its place in the profile named.
      message: inValues ? f.message : `${f.message} (at ${f.path.join('.')}, after substituting these values)`,
      path,
      ...locate(yaml, path, f.on ?? 'value'),
    });
  }
  return { values: findings.some((f) => f.severity === 'error') ? undefined : values, findings };
}

function findingKey(f: ProfileFinding): string {
  return `${f.code}|${f.path.join('.')}|${f.message}`;
}

/** Offsets of the key or value at a one-level path of the values document. */
function locate(yaml: string, path: (string | number)[], on: 'key' | 'value'): { start?: number; end?: number } {
  if (path.length === 0) return {};
  const root = parseDocument(yaml).contents;
  if (!isMap(root)) return {};
  const pair = root.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[0]));
  const node = (on === 'key' ? pair?.key : pair?.value) as YamlNode | null | undefined;
  return node?.range ? { start: node.range[0], end: node.range[1] } : {};
}
