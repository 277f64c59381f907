/**
 * Hostile workspaces and unsafe kubeconfigs: the manifest declares limited support for untrusted
 * workspaces and machine-scoped settings wherever a setting can lead to running a program or
 * trusting a server (a workspace's .vscode/settings.json cannot point kplane at a kubeconfig with
 * an exec plugin); a context with insecure-skip-tls-verify is named with a warning (here by
 * `kplane status`; the extension shows the same text in the Fleet view and its log).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../fixtures/paths.js';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const settings = manifest.contributes.configuration.properties as Record<string, { scope?: string }>;
const RISKY = ['kplane.fleet.kubeconfig', 'kplane.fleet.hub', 'kplane.helm.path', 'kplane.helm.caFile'];

describe('workspace trust and unsafe kubeconfigs', () => {
  it('declares limited untrusted-workspace support, restricting every setting that picks a kubeconfig, context, program or CA', () => {
    const trust = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(trust?.supported, 'limited');
    assert.match(trust.description, /exec plugin/);
    for (const key of [...RISKY, 'kplane.fleet.contexts']) assert.ok(trust.restrictedConfigurations.includes(key), key);
  });

  it('settings that run a program or choose whom to trust are machine-scoped (never read from workspace settings)', () => {
    for (const key of RISKY) assert.equal(settings[key]?.scope, 'machine', key);
    // A setting that names a file or program and is not machine-scoped would be a hole: catch new ones.
    const pathLike = Object.keys(settings).filter((k) => /kubeconfig|path|file|hub|command|binary/i.test(k));
    assert.deepEqual(pathLike.filter((k) => settings[k].scope !== 'machine'), []);
  });

  it('kplane status warns about a context with insecure-skip-tls-verify, naming it and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kplane-insecure-'));
    try {
      const kubeconfig = join(dir, 'config');
      writeFileSync(kubeconfig, [
        'apiVersion: v1', 'kind: Config', 'current-context: lab',
        'clusters: [{ name: lab, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }, { name: safe, cluster: { server: "https://127.0.0.1:2" } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: lab, context: { cluster: lab, user: u } }, { name: safe, context: { cluster: safe, user: u } }]',
      ].join('\n'));
      const r = spawnSync(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), 'status', '--kubeconfig', kubeconfig, '--timeout', '1s'], { encoding: 'utf8', timeout: 30_000 });
      const warnings = r.stderr.split('\n').filter((l) => l.includes('warning:'));
      assert.deepEqual(warnings, [
        'kplane status: warning: Context "lab" (https://127.0.0.1:1) has insecure-skip-tls-verify: kplane does not check its API server\'s certificate, so anyone on the network path can pose as it and read the credentials sent; give the cluster a certificate-authority(-data) in the kubeconfig instead.',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
