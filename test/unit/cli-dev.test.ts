/**
 * `kplane dev up --kubeconfig FILE` never takes over a file it did not write (issue 10, finding 7:
 * it overwrote the user's FILE and deleted it on stop). Refused before any cluster starts, so no
 * bed is needed; test/cluster/bedDev.test.ts runs dev up itself.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../fixtures/paths.js';

describe('kplane dev up and an existing kubeconfig', () => {
  it('refuses a --kubeconfig file it did not write, at once, and leaves it as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kplane-dev-file-'));
    try {
      const file = join(dir, 'config');
      const mine = 'apiVersion: v1\nkind: Config\n# the user\'s own kubeconfig\n';
      writeFileSync(file, mine);
      const r = spawnSync(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), 'dev', 'up', '--kubeconfig', file], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim(), `kplane dev: ${file} already exists and was not written by kplane dev; dev up writes a kubeconfig of its own and deletes it when it stops, so it leaves this one alone. Name a new file with --kubeconfig, or move this one away.`);
      assert.equal(readFileSync(file, 'utf8'), mine);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
