/**
 * The unit suite runs without mocha's --exit, so a test that leaves a socket, server or timer
 * open keeps the process alive. Unguarded, that hangs CI until its time limit with every test
 * passed. This root hook turns it into a failure that names what is open: if the process has
 * not ended 10 s after the last test, it prints the open handles and exits 1.
 */
const GRACE_MS = 10_000;

function describeHandle(handle: unknown): string {
  const h = handle as { constructor?: { name?: string }; remoteAddress?: string; remotePort?: number; localPort?: number; spawnfile?: string; _onTimeout?: unknown };
  const parts = [h.constructor?.name ?? typeof handle];
  if (h.remoteAddress) parts.push(`to ${h.remoteAddress}:${h.remotePort} from port ${h.localPort}`);
  if (h.spawnfile) parts.push(`child ${h.spawnfile}`);
  if (typeof h._onTimeout === 'function') parts.push(`timer ${String(h._onTimeout).slice(0, 120).replace(/\s+/g, ' ')}`);
  return parts.join(' ');
}

export const mochaHooks = {
  afterAll(): void {
    setTimeout(() => {
      const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h) => h !== process.stdout && h !== process.stderr && h !== process.stdin);
      console.error(`unit tests: the process did not end ${GRACE_MS / 1000} s after the last test; a test left open: ${handles.map(describeHandle).join('; ') || 'nothing listed (a pending request or worker?)'}`);
      // Mocha's own exit listener sets the exit code to its failure count (0 here); this one runs after it.
      process.on('exit', () => {
        process.exitCode = 1;
      });
      process.exit(1);
    }, GRACE_MS).unref();
  },
};
