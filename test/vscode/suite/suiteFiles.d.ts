/**
 * A module that exists only in the esbuild bundle: scripts/bundle.mjs generates it with one entry
 * per `*.test.ts` under test/vscode/suite, so a new test file needs no registration.
 */
declare module 'kplane:vscode-suite-files' {
  /** `load()` evaluates the test file; index.ts calls it after mocha has set its globals up. */
  export const suiteFiles: ReadonlyArray<{ file: string; load: () => unknown }>;
}
