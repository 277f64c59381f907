/**
 * The Profiles view off the extension host's main thread (issue 10, finding 5): files are parsed
 * in a worker thread with the language server's limits, a file that runs the worker past its
 * heap or deadline lists nothing and the next file parses in a fresh worker, and a change
 * re-reads only the files the watcher named (every change re-read the whole workspace).
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROFILE_SCAN_WORKER, ProfileIndex, ProfileParser, type ProfileSummary } from '@kplane/extension';
import { billionLaughs, manyDocuments } from '../../fixtures/hostileYaml.js';
import { VALID } from '../language-server/helpers.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const named = (name: string) => VALID.replace('name: edge', `name: ${name}`);
const BUNDLE = join(fileURLToPath(new URL('../../../../', import.meta.url)), 'dist', 'profileScanWorker.js');

describe('Profiles view: parsing in a worker thread', () => {
  const parsers: ProfileParser[] = [];
  const parser = (path: string | URL, options = {}) => {
    const p = new ProfileParser(path instanceof URL ? fileURLToPath(path) : path, options);
    parsers.push(p);
    return p;
  };
  afterEach(() => {
    for (const p of parsers.splice(0)) p.dispose();
  });

  it('lists a file\'s profiles from the worker (tsc output and the esbuild bundle the extension loads), hostile files beside', async function () {
    this.timeout(60_000);
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run node scripts/bundle.mjs`);
    for (const path of [PROFILE_SCAN_WORKER, BUNDLE]) {
      const p = parser(path);
      assert.deepEqual(await p.parse(bytes(VALID)), [{ name: 'edge', namespace: 'kplane-system', version: '1.4.0' }], String(path));
      assert.deepEqual((await p.parse(bytes(`${billionLaughs()}---\n${named('beside')}`))).map((x) => x.name), ['beside']);
      assert.deepEqual(await p.parse(bytes(`${manyDocuments()}kind: ClusterProfile\n`)), []);
      assert.deepEqual(await p.parse(bytes(`kind: ClusterProfile\nmetadata: { name: deep }\nspec: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`)), []);
      assert.deepEqual(await p.parse(new Uint8Array([0xff, 0xfe, 0, 1, 2, 0x80])), []);
      assert.deepEqual(p.stats, { parsed: 5, failed: 0, workersStarted: 1 });
    }
  });

  it('keeps the main thread free while a slow file parses', async function () {
    this.timeout(60_000);
    const p = parser(PROFILE_SCAN_WORKER);
    await p.parse(bytes(VALID)); // the worker is up
    // 440,000 documents: the language server's limit refuses them, after counting them all.
    const slow = p.parse(bytes(`${manyDocuments()}kind: ClusterProfile\n`));
    let ticks = 0;
    let done = false;
    void slow.then(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      ticks++;
    }
    assert.deepEqual(await slow, []);
    // In the host's thread the parse would have been one long task: not one tick in between.
    assert.ok(ticks > 1, `the event loop turned ${ticks} times while the worker parsed`);
  });

  it('a file that runs the worker out of heap or time lists nothing, and the next file parses in a new worker', async function () {
    this.timeout(60_000);
    const problems: string[] = [];
    // A heap far too small for this file's 440,000 documents (they need about 48 MiB), enough for a profile.
    const small = parser(PROFILE_SCAN_WORKER, { maxHeapMb: 16, onProblem: (m: string) => problems.push(m) });
    assert.deepEqual(await small.parse(bytes(`${manyDocuments()}kind: ClusterProfile\n`), 'huge.yaml'), []);
    assert.deepEqual(problems, ["huge.yaml: parsing it ran past the parser's 16 MiB heap; the Profiles view lists nothing from it."]);
    assert.deepEqual((await small.parse(bytes(VALID))).map((x) => x.name), ['edge']);
    assert.equal(small.stats.workersStarted, 2);

    const slow = parser(PROFILE_SCAN_WORKER, { timeoutMs: 1, onProblem: (m: string) => problems.push(m) });
    assert.deepEqual(await slow.parse(bytes(`${manyDocuments()}kind: ClusterProfile\n`), 'slow.yaml'), []);
    assert.match(problems.at(-1)!, /^slow\.yaml: not parsed within 1 ms/);
  });
});

describe('Profiles view: rescanning only what changed', () => {
  /** An in-memory workspace; `parse` counts the files parsed, per file. */
  function workspace(files: Record<string, string>) {
    const parsed: string[] = [];
    const index = new ProfileIndex({
      list: async () => Object.keys(files).filter((k) => !/\/node_modules\//.test(k)),
      read: async (key) => (key in files ? bytes(files[key]) : undefined),
      parse: async (b, key): Promise<ProfileSummary[]> => {
        parsed.push(key);
        const { profilesInText } = await import('@kplane/extension');
        return profilesInText(new TextDecoder().decode(b));
      },
      excluded: (key) => /\/node_modules\//.test(key),
      maxFiles: 6,
    });
    return { index, parsed, files };
  }
  const names = async (index: ProfileIndex) => (await index.profiles()).map((p) => `${p.name}@${p.key}`);

  it('reads every file once, then only the file that changed, and drops deleted files and folders', async () => {
    const ws = workspace({ 'f:/w/a.yaml': named('a'), 'f:/w/b.yaml': named('b'), 'f:/w/sub/c.yaml': named('c'), 'f:/w/notes.yaml': 'x: 1\n' });
    assert.deepEqual(await names(ws.index), ['a@f:/w/a.yaml', 'b@f:/w/b.yaml', 'c@f:/w/sub/c.yaml']);
    assert.equal(ws.parsed.length, 4);
    assert.deepEqual(await names(ws.index), ['a@f:/w/a.yaml', 'b@f:/w/b.yaml', 'c@f:/w/sub/c.yaml'], 'nothing changed, nothing read');
    assert.equal(ws.parsed.length, 4);

    ws.files['f:/w/b.yaml'] = named('b2');
    ws.index.changed('f:/w/b.yaml');
    ws.files['f:/w/new.yaml'] = named('n');
    ws.index.changed('f:/w/new.yaml');
    assert.deepEqual(await names(ws.index), ['a@f:/w/a.yaml', 'b2@f:/w/b.yaml', 'c@f:/w/sub/c.yaml', 'n@f:/w/new.yaml']);
    assert.deepEqual(ws.parsed.slice(4), ['f:/w/b.yaml', 'f:/w/new.yaml']);

    delete ws.files['f:/w/sub/c.yaml'];
    assert.equal(ws.index.deleted('f:/w/sub'), true, 'a folder takes its files along');
    assert.equal(ws.index.deleted('f:/w/unknown.txt'), false);
    assert.deepEqual(await names(ws.index), ['a@f:/w/a.yaml', 'b2@f:/w/b.yaml', 'n@f:/w/new.yaml']);
    assert.equal(ws.parsed.length, 6);

    ws.index.changed('f:/w/node_modules/x/p.yaml');
    await ws.index.profiles();
    assert.equal(ws.parsed.length, 6, 'an excluded folder is not read');

    // Past the cap of files held (6: four now), a new file is not taken.
    for (const name of ['over1', 'over2', 'over3']) {
      ws.files[`f:/w/${name}.yaml`] = named(name);
      ws.index.changed(`f:/w/${name}.yaml`);
    }
    assert.deepEqual((await names(ws.index)).filter((n) => n.startsWith('over')), ['over1@f:/w/over1.yaml', 'over2@f:/w/over2.yaml']);

    ws.index.reset();
    await ws.index.profiles();
    assert.ok(ws.parsed.length > 6, 'a reset lists the workspace again');
  });

  it('a file deleted while it was being read does not come back', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const index = new ProfileIndex({
      list: async () => ['f:/w/a.yaml'],
      read: async () => bytes(named('a')),
      parse: async () => {
        await gate;
        return [{ name: 'a', namespace: 'kplane-system', version: '1.4.0' }];
      },
    });
    const first = index.profiles();
    await new Promise((resolve) => setImmediate(resolve));
    index.deleted('f:/w/a.yaml');
    release();
    assert.deepEqual(await first, []);
  });
});
