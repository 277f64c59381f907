/**
 * The profile file a command is given (`kplane apply <file>`, `kplane diff <file>`): read it and
 * run the editor's checks before any cluster is touched. Problems are printed in the command's
 * name, and come back as the exit code the command should end with.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { preflightProfile, type Preflight } from '@kplane/plane';

export async function loadProfileArgument(
  command: string,
  file: string,
  /** Exit code when the file has errors (apply: 1, "found problems"; diff: 2, "could not diff"). */
  errorsExitCode: number,
): Promise<{ preflight: Preflight } | { exitCode: number }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    console.error(`kplane ${command}: cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return { exitCode: 2 };
  }
  const preflight = preflightProfile(pathToFileURL(resolve(file)).href, file, text);
  if (preflight.errors.length) {
    console.error(`kplane ${command}: ${file} has ${preflight.errors.length} error(s); fix them (kplane validate shows them in context):`);
    for (const e of preflight.errors) console.error(`  ${e}`);
    return { exitCode: errorsExitCode };
  }
  return { preflight };
}
