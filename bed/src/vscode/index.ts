/** @kplane/bed/vscode: a real VS Code (code-server + Debian Chromium) for the host tests and the demo. */
export * from './host.js';
export * from './hostPaths.js';
