/**
 * The executable's arguments. vscode-languageserver picks the transport from argv and throws an
 * unreadable stack when none is given; say instead how to start the server.
 */
export const USAGE = `Usage: kplane-language-server --stdio

The kplane language server: diagnostics, completion, hover, outline, go-to-definition and quick
fixes for ClusterProfile YAML files (*.profile.yaml, or any YAML with kind: ClusterProfile).
Start it from your editor's LSP client; it speaks LSP on stdin/stdout.

  --stdio              LSP over stdin/stdout (what editors use)
  --node-ipc           LSP over Node IPC (what the VS Code extension uses)
  --socket=<port>      LSP over a TCP socket
  --pipe=<name>        LSP over a named pipe
  --help               this text
`;

const TRANSPORTS = /^--(stdio|node-ipc|socket(=\d+)?|pipe(=.+)?)$/;

/** Undefined when the arguments name a transport; otherwise what to print and the exit code. */
export function transportProblem(args: readonly string[]): { message: string; exitCode: number } | undefined {
  if (args.includes('--help') || args.includes('-h')) return { message: USAGE, exitCode: 0 };
  if (args.some((a) => TRANSPORTS.test(a))) return undefined;
  return { message: `kplane-language-server: name a transport, e.g. --stdio.\n\n${USAGE}`, exitCode: 2 };
}
