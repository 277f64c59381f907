/**
 * The Profiles view in a real VS Code host: workspace files parsed in the worker thread
 * (dist/profileScanWorker.js), a new and an edited file picked up from the file watcher with
 * only those files read again, a deleted one gone, and an alias bomb beside them costing nothing
 * but itself. Every wait is on the view's change event, with a deadline.
 */
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { KplaneApi } from '@kplane/extension';

const profile = (name: string, version: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: ${name}
  namespace: kplane-system
spec:
  version: ${version}
  layers:
    - name: base
      manifests: []
`;

const BOMB = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
kind: ClusterProfile
`;

describe('Profiles view (worker thread, rescans what changed)', function () {
  this.timeout(60_000);
  let api: KplaneApi;
  const dir = process.env.KPLANE_TEST_WORKSPACE!;
  const written: string[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(join(dir, file), text);
    if (!written.includes(file)) written.push(file);
  };

  before(async () => {
    const extension = vscode.extensions.getExtension<KplaneApi>('kplane.kplane');
    assert.ok(extension);
    api = await extension.activate();
  });
  after(() => {
    for (const file of written) rmSync(join(dir, file), { force: true });
  });

  const names = async () => (await api.profileTree.getChildren()).map((n) => (n.kind === 'profileFile' ? `${n.name}@${n.version}` : n.kind)).sort();
  /** Waits until the view lists what `test` wants, re-reading it on each change event. */
  const until = (what: string, test: (listed: string[]) => boolean, timeoutMs = 20_000) =>
    new Promise<string[]>((resolve, reject) => {
      let last: string[] = [];
      const check = async () => {
        last = await names();
        if (test(last)) {
          clearTimeout(timer);
          subscription.dispose();
          resolve(last);
        }
      };
      const subscription = api.profileTree.onDidChangeTreeData(() => void check());
      const timer = setTimeout(() => {
        subscription.dispose();
        reject(new Error(`the Profiles view never listed ${what}; it lists ${last.join(', ')}`));
      }, timeoutMs);
      void check();
    });

  it('lists the workspace profiles, then reads only a created, an edited and a deleted file', async () => {
    const first = await names();
    assert.ok(first.some((n) => n.startsWith('edge-baseline@')), first.join(', '));
    const readsBefore = api.profileTree.index.reads;

    write('bomb.yaml', BOMB);
    write('watched.profile.yaml', profile('watched', '1.0.0'));
    await until('watched@1.0.0', (l) => l.includes('watched@1.0.0'));
    write('watched.profile.yaml', profile('watched', '2.0.0'));
    await until('watched@2.0.0', (l) => l.includes('watched@2.0.0') && !l.includes('watched@1.0.0'));
    rmSync(join(dir, 'watched.profile.yaml'));
    const after = await until('nothing named watched', (l) => !l.some((n) => n.startsWith('watched@')));
    assert.ok(after.some((n) => n.startsWith('edge-baseline@')), 'the alias bomb beside emptied the view');
    // bomb.yaml and watched.profile.yaml, each once per event: never the whole workspace again.
    const reads = api.profileTree.index.reads - readsBefore;
    assert.ok(reads >= 2 && reads <= 6, `${reads} files read for 4 changes of 2 files`);
  });
});
