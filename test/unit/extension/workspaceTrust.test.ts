/**
 * Hostile workspaces and unsafe kubeconfigs: the manifest declares limited support for untrusted
 * workspaces and machine-scoped settings wherever a setting can lead to running a program or
 * trusting a server (a workspace's .vscode/settings.json cannot point kplane at a kubeconfig with
 * an exec plugin); a context with insecure-skip-tls-verify is named with a warning (here by
 * `kplane status`; the extension shows the same text in the Fleet view and its log). In an
 * untrusted workspace the extension's fleet reads no kubeconfig and runs no exec plugin until the
 * workspace is trusted (FleetService with VS Code's trust API stubbed at its adapter boundary).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetService, UNTRUSTED_WORKSPACE, type FleetSettings } from '@kplane/extension';
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

  it('an untrusted workspace: the fleet reads no kubeconfig and runs no exec plugin, and says why; trusting the workspace starts it', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'kplane-untrusted-'));
    const fleet = { service: undefined as FleetService | undefined };
    try {
      const marker = join(dir, 'exec-plugin-ran');
      const plugin = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); console.log(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 't' } }))`;
      const kubeconfig = join(dir, 'config');
      writeFileSync(kubeconfig, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'lab',
        clusters: [{ name: 'lab', cluster: { server: 'https://127.0.0.1:1', 'certificate-authority-data': Buffer.from('not a CA').toString('base64') } }],
        users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', plugin], interactiveMode: 'Never' } } }],
        contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'u' } }],
      }));
      const settings: FleetSettings = { kubeconfig, contexts: [], hub: '', namespace: 'kplane-system', timeoutMs: 2000, staleMultiplier: 3, groupBy: 'env' };
      let trusted = false;
      const granted = new Set<() => void>();
      let runtimeLoads = 0;
      const warnings: string[] = [];
      const log = { debug: () => undefined, info: () => undefined, warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) };
      const service = new FleetService({
        log,
        readSettings: () => settings,
        trust: { get isTrusted() { return trusted; }, onDidGrant: (l) => (granted.add(l), { dispose: () => granted.delete(l) }) },
        loadRuntime: async () => {
          runtimeLoads++;
          return import('@kplane/plane/cluster');
        },
      });
      fleet.service = service;
      await service.ready();
      assert.equal(service.trusted, false);
      assert.deepEqual(service.errors, [UNTRUSTED_WORKSPACE], 'the Fleet view shows why it is empty');
      assert.deepEqual(warnings, [UNTRUSTED_WORKSPACE], 'and the log');
      assert.match(UNTRUSTED_WORKSPACE, /not trusted.*no kubeconfig.*no cluster.*Manage Workspace Trust/);
      assert.equal(runtimeLoads, 0, 'the cluster runtime (kubeconfig reader, watches) was loaded');
      assert.deepEqual(service.contextNames(), []);
      service.refresh();
      assert.equal(existsSync(marker), false, 'the kubeconfig exec plugin ran in an untrusted workspace');

      // The same service once the user trusts the workspace: the kubeconfig is read and the
      // watch authenticates through the plugin (which shows the check above could fail).
      trusted = true;
      for (const l of granted) l();
      const deadline = Date.now() + 20_000;
      while (!existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(runtimeLoads, 1);
      assert.deepEqual(service.contextNames(), ['lab']);
      assert.ok(!service.errors.includes(UNTRUSTED_WORKSPACE), service.errors.join('\n'));
      assert.equal(existsSync(marker), true, 'trusted: the exec plugin authenticates the watch');
    } finally {
      fleet.service?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
