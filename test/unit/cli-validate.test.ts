/** `kplane validate` and `kplane schema` as CI runs them: the real CLI in a child process. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterProfileSchema } from '@kplane/profile';
import { repoRoot } from '../fixtures/paths.js';
import { VALID, edit } from './language-server/helpers.js';

function kplane(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kplane validate / kplane schema', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kplane-validate-'));
    mkdirSync(join(dir, 'profiles', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'profiles', 'good.profile.yaml'), VALID);
    writeFileSync(join(dir, 'profiles', 'nested', 'bad.yaml'), edit(VALID, 'dependsOn: [base]', 'dependsOn: [base, cache]'));
    writeFileSync(join(dir, 'profiles', 'nested', 'configmap.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
    writeFileSync(join(dir, 'warn.profile.yaml'), edit(VALID, 'image: "${image}"', 'image: nginx'));
    writeFileSync(join(dir, 'latin1.profile.yaml'), Buffer.concat([Buffer.from(VALID.replace('name: edge', 'name: caf')), Buffer.from([0xe9, 0x0a])]));
    writeFileSync(join(dir, 'empty.yaml'), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exit 0 for a valid profile, and says so', () => {
    const r = kplane(['validate', 'profiles/good.profile.yaml'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 profile file checked, no problems/);
  });

  it('exit 0 with warnings only', () => {
    const r = kplane(['validate', 'warn.profile.yaml'], dir);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /warn\.profile\.yaml:\d+:\d+: warning UNUSED_VARIABLE/);
  });

  it('warns about a privileged hostPath DaemonSet in kube-system (PRIVILEGED_POD), naming each field', () => {
    const daemonSet = [
      '        - apiVersion: apps/v1',
      '          kind: DaemonSet',
      '          metadata: { name: node-root, namespace: kube-system }',
      '          spec:',
      '            selector: { matchLabels: { app: x } }',
      '            template:',
      '              metadata: { labels: { app: x } }',
      '              spec:',
      '                hostNetwork: true',
      '                volumes: [{ name: root, hostPath: { path: / } }]',
      '                containers: [{ name: sh, image: busybox, securityContext: { privileged: true } }]',
      '        - apiVersion: v1',
      '          kind: ConfigMap',
    ].join('\n');
    writeFileSync(join(dir, 'node-root.profile.yaml'), edit(VALID, '        - apiVersion: v1\n          kind: ConfigMap', daemonSet));
    const r = kplane(['validate', 'node-root.profile.yaml'], dir);
    assert.equal(r.status, 0, r.stdout);
    assert.match(
      r.stdout,
      /node-root\.profile\.yaml:\d+:\d+: warning PRIVILEGED_POD DaemonSet kube-system\/node-root gets power over its nodes in kube-system \(Pod Security Standard "baseline" refuses it\): spec\.template\.spec\.hostNetwork is true; spec\.template\.spec\.volumes\[root\] is a hostPath volume \(\/\); spec\.template\.spec\.containers\[sh\]\.securityContext\.privileged is true\./,
    );
    assert.doesNotMatch(kplane(['validate', 'profiles/good.profile.yaml'], dir).stdout, /PRIVILEGED_POD/);
  });

  it('exit 1 with errors; text is file:line:col: severity code message with a caret excerpt (1-based)', () => {
    const r = kplane(['validate', 'profiles'], dir);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const line = VALID.split('\n').findIndex((l) => l.includes('dependsOn: [base]')) + 1;
    const col = '      dependsOn: [base, '.length + 1;
    const file = join('profiles', 'nested', 'bad.yaml');
    assert.ok(r.stdout.includes(`${file}:${line}:${col}: error UNKNOWN_LAYER dependsOn names "cache"`), r.stdout);
    assert.ok(r.stdout.includes(`        dependsOn: [base, cache]\n  ${' '.repeat(col - 1)}^^^^^`), r.stdout);
    assert.match(r.stdout, /1 YAML file without a ClusterProfile skipped/);
  });

  it('--format json is exactly the LSP-shaped report, 0-based', () => {
    const r = kplane(['validate', '--format', 'json', 'profiles/nested/bad.yaml', 'profiles/good.profile.yaml'], dir);
    assert.equal(r.status, 1);
    const line = VALID.split('\n').findIndex((l) => l.includes('dependsOn: [base]'));
    const character = '      dependsOn: [base, '.length;
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        file: 'profiles/nested/bad.yaml',
        diagnostics: [
          {
            range: { start: { line, character }, end: { line, character: character + 5 } },
            severity: 'error',
            code: 'UNKNOWN_LAYER',
            message: 'dependsOn names "cache", but no layer has that name: use one of base, or remove it.',
          },
        ],
      },
      { file: 'profiles/good.profile.yaml', diagnostics: [] },
    ]);
  });

  it('non-UTF-8 bytes and empty or non-profile files named on the command line are errors', () => {
    const r = kplane(['validate', '--format', 'json', 'latin1.profile.yaml', 'empty.yaml', 'profiles/nested/configmap.yml'], dir);
    assert.equal(r.status, 1);
    const codes = (JSON.parse(r.stdout) as { diagnostics: { code: string }[] }[]).map((f) => f.diagnostics.map((d) => d.code));
    assert.deepEqual(codes, [['BINARY_CONTENT'], ['EMPTY_PROFILE'], ['NOT_A_PROFILE']]);
  });

  it('a 20 MB file and a binary file: a clear diagnostic each', () => {
    const line = '        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cm }, data: { k: v } }\n';
    writeFileSync(join(dir, 'huge.profile.yaml'), VALID + line.repeat(Math.ceil((20 * 1024 * 1024) / line.length)));
    writeFileSync(join(dir, 'image.profile.yaml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    const r = kplane(['validate', '--format', 'json', 'huge.profile.yaml', 'image.profile.yaml'], dir);
    assert.equal(r.status, 1, r.stderr);
    const codes = (JSON.parse(r.stdout) as { diagnostics: { code: string }[] }[]).map((f) => f.diagnostics.map((d) => d.code));
    assert.deepEqual(codes, [['FILE_TOO_LARGE'], ['BINARY_CONTENT']]);
    // How long it takes, next to a valid profile's run: npm run bench:bad-input (kplane validate).
  });

  it('a long line with many findings: each excerpt is cut to a window around its finding, not the whole line each time', () => {
    // 1,000 misspelt fields on one 14 KB line: the whole line per finding printed 28 MB (the audit's 233 KB line with 3,000, 1 GB).
    const fields = Array.from({ length: 1000 }, (_, i) => `verzion${i}: 1`).join(', ');
    const wide = VALID.replace('  reconcile:\n    mode: enforce\n    interval: 10m\n', `  reconcile: { mode: enforce, ${fields} }\n`);
    assert.notEqual(wide, VALID);
    writeFileSync(join(dir, 'wide.profile.yaml'), wide);
    const r = kplane(['validate', 'wide.profile.yaml'], dir);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout.split('\n');
    const findings = lines.filter((l) => / error /.test(l)).length;
    assert.equal(findings, 1000, r.stdout.slice(0, 500));
    assert.ok(r.stdout.length < 600 * findings, `${r.stdout.length} characters for ${findings} findings`);
    const excerpts = lines.filter((l) => l.startsWith('  ') && l.includes('verzion'));
    assert.equal(excerpts.length, 1000);
    assert.ok(excerpts.every((l) => l.length <= 2 + 160 + 2), `longest excerpt ${Math.max(...excerpts.map((l) => l.length))} characters`);
    assert.match(excerpts[500], /^  ….*verzion499: 1.*…$/, 'the window shows the finding, marked as cut on both sides');
  });

  it('refuses /dev/zero, a FIFO and other non-regular files at once, with a clear message (exit 2)', () => {
    const fifo = join(dir, 'pipe.profile.yaml');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    const r = kplane(['validate', '/dev/zero', fifo, 'profiles/good.profile.yaml'], dir);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /"\/dev\/zero" is a character device; kplane validate reads regular files only: name the profile file itself\./);
    assert.match(r.stderr, /pipe\.profile\.yaml" is a FIFO \(named pipe\); kplane validate reads regular files only/);
    // It did not hang on the FIFO nor read /dev/zero until killed: a child killed at its 30 s
    // timeout has no exit status, and the status is 2.
    rmSync(fifo);
  });

  it('exit 2 on usage and I/O problems, naming them', () => {
    const missing = kplane(['validate', 'profiles/good.profile.yaml', 'nope.yaml'], dir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /"nope\.yaml" does not exist/);
    assert.equal(kplane(['validate'], dir).status, 2);
    const format = kplane(['validate', '--format', 'xml', 'profiles'], dir);
    assert.equal(format.status, 2);
    assert.match(format.stderr, /--format must be text or json/);
  });

  it('checks manifests against the built-in Kubernetes API; --kube-version decides what is removed', () => {
    const pdb = edit(VALID, '        - apiVersion: v1\n          kind: ConfigMap', '        - apiVersion: policy/v1beta1\n          kind: PodDisruptionBudget\n          metadata: { name: web, namespace: web }\n          spec: { minAvailable: 1 }\n        - apiVersion: v1\n          kind: ConfigMap');
    writeFileSync(join(dir, 'pdb.profile.yaml'), pdb);
    const line = pdb.split('\n').findIndex((l) => l.includes('policy/v1beta1')) + 1;
    const now = kplane(['validate', 'pdb.profile.yaml'], dir);
    assert.equal(now.status, 1, now.stdout);
    assert.ok(now.stdout.includes(`pdb.profile.yaml:${line}:23: error API_REMOVED PodDisruptionBudget policy/v1beta1 was removed in Kubernetes 1.25`), now.stdout);
    assert.match(now.stdout, /use apiVersion: policy\/v1/);
    const old = kplane(['validate', '--kube-version', '1.24', 'pdb.profile.yaml'], dir);
    assert.equal(old.status, 0, old.stdout);
    assert.match(old.stdout, /warning API_DEPRECATED PodDisruptionBudget policy\/v1beta1 is removed in Kubernetes 1\.25/);
    const bad = kplane(['validate', '--kube-version', 'banana', 'pdb.profile.yaml'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--kube-version "banana" is no Kubernetes version/);
  });

  it('kplane schema prints the ClusterProfile JSON Schema', () => {
    const r = kplane(['schema'], dir);
    assert.equal(r.status, 0);
    assert.deepEqual(JSON.parse(r.stdout), clusterProfileSchema);
  });
});
