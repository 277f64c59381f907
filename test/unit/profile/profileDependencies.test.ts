/**
 * spec.dependsOn between profiles: what one profile can tell (itself, repeats, bad names), what
 * a set tells (cycles, names none of the set defines), in the language service (one file) and in
 * `kplane validate` (all files given).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkProfileGraph, profileNode, validateProfile } from '@kplane/profile';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { repoRoot } from '../../fixtures/paths.js';

const doc = (name: string, dependsOn?: unknown[], namespace?: string) => ({
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { version: '1.0.0', ...(dependsOn ? { dependsOn } : {}), layers: [{ name: 'a', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${name}` } }] }] },
});

const yamlOf = (name: string, dependsOn: string[]) =>
  `apiVersion: kplane.dev/v1alpha1\nkind: ClusterProfile\nmetadata:\n  name: ${name}\nspec:\n  version: 1.0.0\n  dependsOn: [${dependsOn.join(', ')}]\n  layers:\n    - name: a\n      manifests:\n        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cm-${name} } }\n`;

const graph = (docs: ReturnType<typeof doc>[], reportMissing = false) =>
  checkProfileGraph(docs.map((d, i) => profileNode(d, i)!), { reportMissing }).map(({ node, finding }) => `${node.name} ${finding.code} ${finding.path.join('.')} ${finding.data?.cycle ?? finding.data?.profile ?? ''}`.trim());

describe('dependencies between profiles (spec.dependsOn)', () => {
  describe('one profile', () => {
    it('a profile that depends on itself is an error; a repeated name a warning', () => {
      const findings = validateProfile(doc('crds', ['crds', 'base', 'base']));
      assert.deepEqual(findings.map((f) => [f.code, f.severity, f.path.join('.')]), [
        ['PROFILE_DEPENDS_ON_SELF', 'error', 'spec.dependsOn.0'],
        ['DUPLICATE_DEPENDENCY', 'warning', 'spec.dependsOn.2'],
      ]);
    });

    it('names must be profile names (DNS-1123 subdomains)', () => {
      assert.deepEqual(validateProfile(doc('app', ['Not_A_Name'])).map((f) => f.code), ['INVALID_NAME']);
      assert.deepEqual(validateProfile(doc('app', ['crds', 'monitoring.base'])), []);
    });
  });

  describe('a set of profiles', () => {
    it('no findings for a chain, a diamond, or without dependencies', () => {
      assert.deepEqual(graph([doc('crds'), doc('operator', ['crds']), doc('a', ['operator']), doc('b', ['operator', 'crds']), doc('c', ['a', 'b'])], true), []);
    });

    it('a cycle of two is reported on both, naming the cycle', () => {
      assert.deepEqual(graph([doc('a', ['b']), doc('b', ['a'])]), ['a PROFILE_DEPENDENCY_CYCLE spec.dependsOn.0 a → b → a', 'b PROFILE_DEPENDENCY_CYCLE spec.dependsOn.0 b → a → b']);
    });

    it('a cycle of three behind other dependencies, reported on the entry that goes on around it', () => {
      const found = graph([doc('base'), doc('a', ['base', 'b']), doc('b', ['c']), doc('c', ['base', 'a']), doc('d', ['a'])]);
      assert.deepEqual(found, [
        'a PROFILE_DEPENDENCY_CYCLE spec.dependsOn.1 a → b → c → a',
        'b PROFILE_DEPENDENCY_CYCLE spec.dependsOn.0 b → c → a → b',
        'c PROFILE_DEPENDENCY_CYCLE spec.dependsOn.1 c → a → b → c',
      ]);
    });

    it('profiles of other namespaces are other profiles', () => {
      assert.deepEqual(graph([doc('a', ['b']), doc('b', ['a'], 'team-x')]), []);
      assert.deepEqual(graph([doc('a', ['b']), doc('b', ['a'], 'team-x')], true), ['a PROFILE_DEPENDENCY_NOT_FOUND spec.dependsOn.0 b', 'b PROFILE_DEPENDENCY_NOT_FOUND spec.dependsOn.0 a']);
    });

    it('a missing profile is information, only when the set is everything', () => {
      assert.deepEqual(graph([doc('app', ['crds'])]), []);
      const [found] = checkProfileGraph([profileNode(doc('app', ['crds']), 0)!], { reportMissing: true });
      assert.equal(found.finding.severity, 'information');
      assert.match(found.finding.message, /"crds", which is none of the profiles checked here: it must exist in namespace kplane-system/);
    });

    it('a long chain does not overflow the stack', () => {
      const docs = Array.from({ length: 20_000 }, (_, i) => doc(`p${i}`, i ? [`p${i - 1}`] : ['p19999']));
      assert.equal(graph(docs).length, 20_000);
    });
  });

  describe('in the language service: profiles of one file', () => {
    it('a cycle between two documents marks the dependsOn entry of each', () => {
      const text = `${yamlOf('a', ['b'])}---\n${yamlOf('b', ['a'])}`;
      const diagnostics = getLanguageService().doValidation(textDocument('file:///w/stack.profile.yaml', text)).filter((d) => d.code === 'PROFILE_DEPENDENCY_CYCLE');
      const lines = text.split('\n');
      assert.deepEqual(
        diagnostics.map((d) => lines[d.range.start.line].slice(d.range.start.character, d.range.end.character)),
        ['b', 'a'],
      );
      assert.deepEqual(diagnostics.map((d) => d.range.start.line), [6, 18]);
    });

    it('a missing profile is no finding in the editor (it may be on the cluster)', () => {
      const diagnostics = getLanguageService().doValidation(textDocument('file:///w/app.profile.yaml', yamlOf('app', ['crds'])));
      assert.deepEqual(diagnostics.map((d) => d.code), []);
    });
  });

  describe('in kplane validate: profiles of all files given', () => {
    let dir: string;
    const kplane = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), 'validate', ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'kplane-deps-'));
      writeFileSync(join(dir, 'a.profile.yaml'), yamlOf('a', ['b']));
      writeFileSync(join(dir, 'b.profile.yaml'), yamlOf('b', ['a']));
      writeFileSync(join(dir, 'app.profile.yaml'), yamlOf('app', ['crds']));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a cycle across two files is an error in both (exit 1)', () => {
      const r = kplane('a.profile.yaml', 'b.profile.yaml');
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /a\.profile\.yaml:7:15: error PROFILE_DEPENDENCY_CYCLE Profiles depend on each other in a cycle: a → b → a\./);
      assert.match(r.stdout, /b\.profile\.yaml:7:15: error PROFILE_DEPENDENCY_CYCLE Profiles depend on each other in a cycle: b → a → b\./);
    });

    it('a dependency none of the files defines is information (exit 0)', () => {
      const r = kplane('app.profile.yaml');
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /app\.profile\.yaml:7:15: information PROFILE_DEPENDENCY_NOT_FOUND Profile "app" depends on "crds"/);
    });
  });
});
