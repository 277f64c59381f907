/**
 * The extensionTestsPath entry (bundled to dist/test/suite.js): the extension host calls run()
 * once the workbench is up, and the run fails when it rejects. Every `*.test.ts` in this folder
 * (and below) is included by scripts/bundle.mjs; tests use mocha's bdd globals (describe/it).
 *
 * Mocha stays outside the bundle and resolves from the repository's node_modules, since the
 * bundle lives in dist/test/ of the same repository.
 */
import Mocha from 'mocha';
import { suiteFiles } from 'kplane:vscode-suite-files';
import { testLog } from '../testOutput.js';

/** Routes mocha's reporter through testLog, so runHost.ts can tell its lines from the workbench's. */
function markReporterOutput(): () => void {
  // Reporters print through their own copy of console.log, taken when mocha loaded.
  const previous = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = testLog;
  return () => {
    Mocha.reporters.Base.consoleLog = previous;
  };
}

export async function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false, // the output goes through the workbench's log to a plain terminal
    timeout: 60_000, // the host shares 2 cores with builds and clusters
    slow: 10_000,
    grep: process.env.KPLANE_VSCODE_GREP || undefined,
  });
  // What mocha.loadFiles does for files on disk, for files that live in this bundle.
  for (const { file, load } of suiteFiles) {
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    mocha.suite.emit('require', load(), file, mocha);
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }
  if (suiteFiles.length === 0) throw new Error('no *.test.ts files were bundled from test/vscode/suite: check the suite plugin in scripts/bundle.mjs');
  const unmark = markReporterOutput();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve)).finally(unmark);
  if (failures > 0) throw new Error(`${failures} VS Code-host test(s) failed`);
}
