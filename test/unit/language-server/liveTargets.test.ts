/**
 * Each document's live target clusters (kplane/liveTargets) in the bundled server over stdio, as
 * any LSP client drives it: findings per target ("On cluster eu-prod-1: …"), a schema set sent
 * once for every cluster sharing it (and asked for again after a restart), and the CodeLens
 * saying what the profile was checked against. Also the lens's words, on a fake clock.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { checkedAgainstLines, checkedAgainstTitle, type LiveTarget } from '@kplane/language-server';
import { CHECKED_AGAINST_COMMAND, LiveTargetsRequest, type LiveTargetsParams } from '@kplane/language-server/protocol';
import { groupVersionSchemasOf, liveSchemaData, servedKindsOf } from '@kplane/profile';
import { repoRoot } from '../../fixtures/paths.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 0, 1, 12);

describe('"checked against" words', () => {
  const live = (name: string): LiveTarget => ({ name, state: 'live', kubernetes: 'v1.36.3', fetchedAt: NOW });
  it('the built-in release alone, then with clusters, the offline ones and the age of their schemas', () => {
    assert.equal(checkedAgainstTitle('v1.36.3', [], NOW), 'checked against Kubernetes 1.36');
    assert.equal(checkedAgainstTitle('v1.36.3', [live('a')], NOW), 'checked against Kubernetes 1.36 + 1 cluster');
    const cached: LiveTarget = { name: 'c', state: 'cached', kubernetes: 'v1.35.1', fetchedAt: NOW - 2 * HOUR, problems: ['c: GET /version: connect ECONNREFUSED'] };
    assert.equal(checkedAgainstTitle('v1.36.3', [live('a'), live('b'), cached], NOW), 'checked against Kubernetes 1.36 + 3 clusters (1 offline, schemas 2 h old)');
    const never: LiveTarget = { name: 'n', state: 'unreachable', problems: ['n: connect ECONNREFUSED'] };
    assert.equal(checkedAgainstTitle('v1.36.3', [cached, never], NOW), 'checked against Kubernetes 1.36 + 2 clusters (2 offline, schemas 2 h old, 1 never read, not checked)');
    assert.deepEqual(checkedAgainstLines('v1.36.3', [live('a'), cached, never], NOW), [
      "built in: Kubernetes 1.36.3 (kplane's own copy of its API)",
      'a: live, Kubernetes 1.36.3',
      'c: offline, its schemas of 2 h ago, Kubernetes 1.35.1',
      '    c: GET /version: connect ECONNREFUSED',
      'n: offline and never read: its manifests are not checked against it',
      '    n: connect ECONNREFUSED',
    ]);
  });
});

/** A live set: example.com/v1 Widget with an enum, and v1 ConfigMap (discovery only). */
function widgetSet(): LiveTargetsParams['sets'][number] {
  const served = servedKindsOf({
    items: [
      { metadata: { name: 'example.com' }, versions: [{ version: 'v1', resources: [{ resource: 'widgets', responseKind: { kind: 'Widget' }, scope: 'Namespaced', verbs: ['create'] }] }] },
      { metadata: { name: '' }, versions: [{ version: 'v1', resources: [{ resource: 'configmaps', responseKind: { kind: 'ConfigMap' }, scope: 'Namespaced', verbs: ['create'] }] }] },
    ],
  });
  const document = {
    components: {
      schemas: {
        'com.example.v1.Widget': {
          type: 'object',
          'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', properties: { color: { type: 'string', enum: ['red', 'blue'] } } } },
        },
      },
    },
  };
  return { id: 'set-widget', data: liveSchemaData('v1.36.3', served, new Map([['example.com/v1', groupVersionSchemasOf('example.com/v1', document)]])) };
}

const TEXT = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: targets
spec:
  version: 1.0.0
  layers:
    - name: apps
      namespace: web
      manifests:
        - apiVersion: example.com/v1
          kind: Widget
          metadata: { name: w }
          spec:
            color: green
`;

describe('kplane/liveTargets over stdio (dist/server.js)', () => {
  let child: ChildProcess;
  let connection: MessageConnection;
  let lensRefreshes = 0;
  const uri = 'file:///work/targets.profile.yaml';

  before(async () => {
    const server = join(repoRoot, 'dist', 'server.js');
    if (!existsSync(server)) throw new Error(`${server} is missing: run npm run build (npm test does).`);
    child = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onRequest('workspace/diagnostic/refresh', () => null);
    connection.onRequest('workspace/codeLens/refresh', () => {
      lensRefreshes++;
      return null;
    });
    connection.listen();
    const capabilities = { textDocument: { diagnostic: { dynamicRegistration: false } }, workspace: { diagnostics: { refreshSupport: true }, codeLens: { refreshSupport: true } } };
    const init = await connection.sendRequest<{ capabilities: Record<string, unknown> }>('initialize', { processId: process.pid, rootUri: null, capabilities });
    assert.ok(init.capabilities.codeLensProvider, 'the server must offer code lenses');
    connection.sendNotification('initialized', {});
    connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: TEXT } });
  });

  after(async () => {
    await connection.sendRequest('shutdown').catch(() => undefined);
    connection.sendNotification('exit');
    connection.dispose();
    child.kill();
  });

  const pull = async () => (await connection.sendRequest<{ items: { code: string; message: string; range: { start: { line: number; character: number } } }[] }>('textDocument/diagnostic', { textDocument: { uri } })).items;
  const lens = () => connection.sendRequest<{ command: { title: string; command: string; arguments: unknown[] } }[]>('textDocument/codeLens', { textDocument: { uri } });

  it('without targets: the custom resource is not checked, and the lens names the built-in release only', async () => {
    assert.deepEqual((await pull()).map((d) => d.code), ['MANIFEST_KIND_UNKNOWN']);
    const [only] = await lens();
    assert.equal(only.command.title, 'checked against Kubernetes 1.36');
    assert.equal(only.command.command, CHECKED_AGAINST_COMMAND);
  });

  it('a target set unknown to the server is asked for, and nothing changes until it comes', async () => {
    const result = await connection.sendRequest<LiveTargetsRequest.Result>(LiveTargetsRequest.method, { documents: { [uri]: [{ name: 'eu-prod-1', state: 'live', set: 'set-widget', kubernetes: 'v1.36.3', fetchedAt: Date.now() }] }, sets: [] } satisfies LiveTargetsParams);
    assert.deepEqual(result.missingSets, ['set-widget']);
    assert.equal((await lens())[0].command.title, 'checked against Kubernetes 1.36');
  });

  it('three targets, two sharing one set: findings per target, and the lens counts them', async () => {
    const at = Date.now();
    const params: LiveTargetsParams = {
      documents: {
        [uri]: [
          { name: 'eu-prod-1', state: 'live', set: 'set-widget', kubernetes: 'v1.36.3', fetchedAt: at },
          { name: 'eu-prod-2', state: 'cached', set: 'set-widget', kubernetes: 'v1.36.3', fetchedAt: at - 2 * HOUR, problems: ['eu-prod-2: connect ECONNREFUSED'] },
          { name: 'us-prod-1', state: 'unreachable', problems: ['us-prod-1: connect ECONNREFUSED'] },
        ],
      },
      sets: [widgetSet()],
    };
    const refreshes = lensRefreshes;
    assert.deepEqual((await connection.sendRequest<LiveTargetsRequest.Result>(LiveTargetsRequest.method, params)).missingSets, []);
    const items = await pull();
    assert.deepEqual(items.map((d) => d.code), ['MANIFEST_INVALID_ENUM_VALUE']);
    assert.match(items[0].message, /^On clusters eu-prod-1, eu-prod-2: Widget spec\.color is "green"; it must be one of red, blue/);
    assert.deepEqual(items[0].range.start, { line: 14, character: 19 });
    const [one] = await lens();
    assert.equal(one.command.title, 'checked against Kubernetes 1.36 + 3 clusters (2 offline, schemas 2 h old, 1 never read, not checked)');
    assert.equal(one.command.arguments[0], uri);
    assert.ok((one.command.arguments[1] as string[]).includes('eu-prod-1: live, Kubernetes 1.36.3'));
    assert.ok(lensRefreshes > refreshes, 'the client is asked to refresh its lenses');
  });

  it('targets changed without sets: the known set is used again; no targets: back to built in', async () => {
    const again = await connection.sendRequest<LiveTargetsRequest.Result>(LiveTargetsRequest.method, { documents: { [uri]: [{ name: 'eu-prod-3', state: 'live', set: 'set-widget', kubernetes: 'v1.36.3', fetchedAt: Date.now() }] }, sets: [] } satisfies LiveTargetsParams);
    assert.deepEqual(again.missingSets, []);
    assert.match((await pull())[0].message, /^On cluster eu-prod-3: Widget spec\.color is "green"/);
    await connection.sendRequest(LiveTargetsRequest.method, { documents: {}, sets: [] } satisfies LiveTargetsParams);
    assert.deepEqual((await pull()).map((d) => d.code), ['MANIFEST_KIND_UNKNOWN']);
    // The set was dropped with its last target: naming it again asks for it.
    const dropped = await connection.sendRequest<LiveTargetsRequest.Result>(LiveTargetsRequest.method, { documents: { [uri]: [{ name: 'eu-prod-1', state: 'live', set: 'set-widget' }] }, sets: [] } satisfies LiveTargetsParams);
    assert.deepEqual(dropped.missingSets, ['set-widget']);
  });
});
