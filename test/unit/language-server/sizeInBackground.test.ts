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
import { bigProfile, noise } from '../../fixtures/bigProfiles.js';

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
