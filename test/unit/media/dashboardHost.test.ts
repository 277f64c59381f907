/**
 * The dashboard's host side without VS Code: the CSP shell, and the controller's handling of the
 * webview's messages with the real validator (validateProfile) and an in-memory profile store.
 * The same path against a real cluster runs in test/vscode/suite/dashboard.test.ts.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateProfile, type ClusterProfile, type VariableValue } from '@kplane/profile';
import type { HostMessage } from '@kplane/media';
import { DashboardController, dashboardHtml, makeNonce } from '@kplane/extension';
import type { ProfileValuesStore } from '@kplane/plane/cluster';
import { repoRoot } from '../../fixtures/paths.js';

const ref = { context: 'kplane-1', namespace: 'kplane-system', name: 'edge-baseline' };

function harness(profile: ClusterProfile) {
  const posted: HostMessage[] = [];
  const errors: string[] = [];
  const applied: Record<string, VariableValue>[] = [];
  let stored = structuredClone(profile);
  const store: ProfileValuesStore = {
    read: async () => structuredClone(stored),
    applyValues: async (base, _ref, values) => {
      applied.push(values);
      stored = { ...base, metadata: { ...base.metadata, generation: (base.metadata.generation ?? 1) + 1 }, spec: { ...base.spec, values } };
      return structuredClone(stored);
    },
  };
  const controller = new DashboardController({
    post: (m) => posted.push(m),
    store,
    validate: validateProfile,
    log: { info: () => undefined, error: (m) => errors.push(m) },
    onReady: () => posted.push({ type: 'snapshot', snapshot: { takenAt: '2026-01-01T00:00:00Z', clusters: [] } }),
  });
  return { controller, posted, errors, applied, stored: () => stored };
}

const example = (): ClusterProfile => {
  const p = parse(readFileSync(join(repoRoot, 'examples', 'edge-baseline.profile.yaml'), 'utf8')) as ClusterProfile;
  p.metadata.resourceVersion = '42';
  p.metadata.generation = 1;
  return p;
};

describe('dashboard host', () => {
  describe('HTML shell', () => {
    const html = dashboardHtml(
      { cspSource: 'https://file+.vscode-resource.example', script: 'https://r/dashboard.js', style: 'https://r/dashboard.css', editorWorker: 'https://r/editor.worker.js?a=1&b="2"', yamlWorker: 'https://r/yaml.worker.js' },
      'NONCE123',
    );
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';

    it('allows scripts only with the nonce, and nothing from the network', () => {
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'nonce-NONCE123'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-eval|https?:\/\/(?!file\+)/);
      assert.match(csp, /worker-src blob:/);
      assert.match(html, /<script nonce="NONCE123" src="https:\/\/r\/dashboard.js"><\/script>/);
      assert.equal((html.match(/<script/g) ?? []).length, 1, 'exactly one script element');
    });

    it('escapes what it puts in attributes', () => {
      assert.match(html, /data-editor-worker="https:\/\/r\/editor.worker.js\?a=1&amp;b=&quot;2&quot;"/);
    });

    it('makes a fresh nonce each time', () => {
      const a = makeNonce();
      assert.match(a, /^[A-Za-z0-9_-]{24}$/);
      assert.notEqual(a, makeNonce());
    });
  });

  describe('controller', () => {
    it('logs and drops malformed messages without answering or applying', async () => {
      const h = harness(example());
      await h.controller.receive({ type: 'applyValues', ref, yaml: 'replicas: 3' });
      await h.controller.receive('applyValues');
      await h.controller.receive({ type: 'deleteCluster', ref });
      assert.deepEqual(h.posted, []);
      assert.deepEqual(h.applied, []);
      assert.equal(h.errors.length, 3);
      assert.match(h.errors[0], /malformed message.*requestId/);
      assert.match(h.errors[2], /unknown message type "deleteCluster"/);
    });

    it('opens the values of a profile with its schema', async () => {
      const h = harness(example());
      await h.controller.receive({ type: 'openValues', ref });
      const values = h.posted.find((m) => m.type === 'values');
      assert.ok(values && values.type === 'values');
      assert.equal(values.yaml, 'replicas: 2\n');
      assert.deepEqual(values.variables.map((v) => v.name), ['replicas', 'logLevel']);
      assert.deepEqual(Object.keys((values.schema as { properties: object }).properties), ['replicas', 'logLevel']);
    });

    it('rejects an invalid value with findings and applies nothing', async () => {
      const h = harness(example());
      await h.controller.receive({ type: 'applyValues', requestId: 7, ref, yaml: 'replicas: 50\n' });
      const result = h.posted.find((m) => m.type === 'applyResult');
      assert.ok(result && result.type === 'applyResult');
      assert.equal(result.ok, false);
      assert.equal(result.requestId, 7);
      assert.match(result.message, /Nothing applied/);
      assert.deepEqual(result.findings.map((f) => f.code), ['VALUE_OUT_OF_RANGE']);
      assert.deepEqual(h.applied, []);
      assert.deepEqual(h.stored().spec.values, { replicas: 2 });
    });

    it('applies valid values, keeping the rest of the spec', async () => {
      const h = harness(example());
      await h.controller.receive({ type: 'applyValues', requestId: 8, ref, yaml: 'replicas: 4\nlogLevel: warn\n' });
      const result = h.posted.find((m) => m.type === 'applyResult');
      assert.ok(result && result.type === 'applyResult' && result.ok, JSON.stringify(result));
      assert.deepEqual(h.applied, [{ replicas: 4, logLevel: 'warn' }]);
      assert.equal(h.stored().spec.layers.length, 2);
    });

    it('answers validateValues with the findings of the full check', async () => {
      const h = harness(example());
      await h.controller.receive({ type: 'validateValues', requestId: 3, ref, yaml: 'replicas: 3\nlogLevel: loud\nextra: 1\n' });
      const findings = h.posted.find((m) => m.type === 'findings');
      assert.ok(findings && findings.type === 'findings');
      assert.deepEqual(findings.findings.map((f) => f.code).sort(), ['UNDECLARED_VALUE', 'VALUE_NOT_IN_ENUM']);
    });

    it('reports a profile it cannot read, naming it and the next step', async () => {
      const h = harness(example());
      (h.controller as unknown as { deps: { store: ProfileValuesStore } }).deps.store.read = async () => {
        throw new Error('kplane-1: cannot reach https://127.0.0.1:1 (ECONNREFUSED)');
      };
      await h.controller.receive({ type: 'openValues', ref });
      const error = h.posted.find((m) => m.type === 'valuesError');
      assert.ok(error && error.type === 'valuesError');
      assert.match(error.message, /Could not read profile kplane-system\/edge-baseline on kplane-1: .*ECONNREFUSED.*Check that the cluster is reachable/);
    });
  });
});
