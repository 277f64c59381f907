/**
 * The workbench forwards the extension host's console to the runner mixed with its own log lines
 * (connection, chat, account noise). Lines that start with this mark are the tests' output:
 * runHost.ts prints them (mark removed) and drops the rest unless KPLANE_VSCODE_VERBOSE=1.
 * suite/index.ts marks mocha's reporter; tests that want a line in the run's output use testLog.
 *
 * Why not patch console.log: VS Code's extension host defines console.log as an accessor and
 * forwards the caller's raw arguments before any replacement sees them.
 */
import { format } from 'node:util';

export const TEST_OUTPUT_MARK = '[kplane-test] ';

/** console.log for tests in the VS Code host: the line shows in `npm test` output. */
export function testLog(...args: unknown[]): void {
  console.log(TEST_OUTPUT_MARK + format(...args));
}
