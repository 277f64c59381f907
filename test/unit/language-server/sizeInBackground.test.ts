/**
 * The stored size of a big profile (compressed above 1.1 MiB plain) judged after the first
 * diagnostics, in the background (languageService ValidationOptions.sizeInBackground, driven by
 * handlers/diagnosticsHandler.ts in slices): the first answer has no size finding, and checking
 * the same version again after the background steps gives PROFILE_TOO_LARGE where it holds.
 * `kplane validate` stays exact and synchronous (test/unit/profile/profileSize.test.ts).
 */
import { strict as assert } from 'node:assert';
import { stringify } from 'yaml';
import { checkSize, warmSizeStep } from '@kplane/profile';
import { getLanguageService, textDocument } from '@kplane/language-server';
import { bigCrdProfile, bigProfile, noise } from '../../fixtures/bigProfiles.js';

const SIZE = ['PROFILE_TOO_LARGE', 'PROFILE_NEAR_SIZE_LIMIT'];
const sizeCodes = (codes: { code?: unknown }[]) => codes.map((d) => String(d.code)).filter((c) => SIZE.includes(c));

describe('stored size judged in the background (language service)', function () {
  // Compressing 1.6 MB of incompressible text, several times, on a shared machine.
  this.timeout(120_000);
  const incompressible = stringify(bigProfile(400, (i) => noise(4000, i + 1)));
  const compressible = stringify(bigProfile(400, (i) => `panel ${i} `.repeat(400)));

  it('a profile over the limit as stored: no size finding at first, PROFILE_TOO_LARGE after the background steps', () => {
    assert.ok(incompressible.length > 1.2 * 1024 * 1024, `test setup: ${incompressible.length}`);
    const service = getLanguageService();
    const document = textDocument('file:///work/noise.profile.yaml', incompressible);
    let step: (() => boolean) | undefined;
    const first = service.doValidation(document, { sizeInBackground: (s) => (step = s) });
    assert.deepEqual(sizeCodes(first), [], 'the first diagnostics must not wait for the compression');
    assert.ok(step, 'background size work was asked for');
    let steps = 0;
    while (step()) steps++;
    // 400 manifests: 7 chunks of 64, then the layer compressed exactly (the chunks' estimate is over the warning share).
    assert.equal(steps, 8);
    const again = service.doValidation(document, { sizeInBackground: () => assert.fail('nothing is left to do in the background') });
    assert.deepEqual(sizeCodes(again), ['PROFILE_TOO_LARGE']);
    assert.deepEqual(
      again.filter((d) => !SIZE.includes(String(d.code))).map((d) => d.code),
      first.map((d) => d.code),
      'the other findings stay',
    );
  });

  it('a big profile that compresses well ends with no size finding, without compressing whole layers', () => {
    assert.ok(compressible.length > 1.2 * 1024 * 1024, `test setup: ${compressible.length}`);
    const service = getLanguageService();
    const document = textDocument('file:///work/panels.profile.yaml', compressible);
    let step: (() => boolean) | undefined;
    assert.deepEqual(sizeCodes(service.doValidation(document, { sizeInBackground: (s) => (step = s) })), []);
    assert.ok(step);
    let steps = 0;
    while (step()) steps++;
    assert.equal(steps, 7, 'the chunks only: their estimate is below the warning share');
    assert.deepEqual(sizeCodes(service.doValidation(document, { sizeInBackground: () => assert.fail('nothing is left') })), []);
  });

  it('without sizeInBackground (kplane validate) the size is judged at once', () => {
    const service = getLanguageService();
    const document = textDocument('file:///work/noise2.profile.yaml', incompressible);
    assert.deepEqual(sizeCodes(service.doValidation(document)), ['PROFILE_TOO_LARGE']);
  });

  it('steps are cut by bytes (about 256 KB of JSON, at least one manifest), not by a number of manifests; an edit or an insertion re-warms one step', () => {
    // 40 CRDs of about 47 KB: 1.9 MB of JSON, one chunk when chunks were 64 manifests.
    const doc = bigCrdProfile(40, 45);
    const manifests = doc.spec.layers[0].manifests as unknown[];
    const json = JSON.stringify(manifests).length;
    const warm = () => {
      let steps = 0;
      while (warmSizeStep(doc)) steps++;
      return steps;
    };
    const steps = warm();
    // Each step compresses at most 256 KB and the next manifest would pass it: no fewer steps than that allows, no more than twice that.
    assert.ok(steps >= Math.ceil(json / (256 * 1024)) && steps <= Math.ceil((2 * json) / (256 * 1024)), `${steps} steps for ${json} characters`);
    assert.deepEqual(checkSize(doc, { onPending: () => assert.fail('all known') }), checkSize(doc));
    // One manifest edited (a new object, as the incremental parse gives): its chunk only.
    manifests[17] = structuredClone(manifests[17]);
    (manifests[17] as { metadata: { name: string } }).metadata.name = 'widgets17b.example.com';
    assert.equal(warm(), 1);
    // One inserted at the front: a chunk of its own, the boundaries after it stay.
    manifests.unshift(structuredClone(manifests[3]));
    assert.equal(warm(), 1);
    // A manifest bigger than a chunk is a step of its own.
    const big = bigCrdProfile(3, 400);
    let bigSteps = 0;
    while (warmSizeStep(big)) bigSteps++;
    assert.equal(bigSteps, 3);
  });

  it('checkSize with onPending says nothing until warmSizeStep has done the work, then the same as the exact check', () => {
    const doc = bigProfile(200, (i) => noise(8000, i + 7));
    let pending = 0;
    assert.deepEqual(checkSize(doc, { onPending: () => pending++ }), []);
    assert.equal(pending, 1);
    while (warmSizeStep(doc));
    assert.deepEqual(checkSize(doc, { onPending: () => assert.fail('all known') }), checkSize(doc));
    assert.equal(checkSize(doc)[0]?.code, 'PROFILE_TOO_LARGE');
  });
});
