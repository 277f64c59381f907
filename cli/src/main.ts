/**
 * `kplane`: one CLI for the management plane (validate, apply, status, diff), the agent, and the
 * local test bed. Each command lives in ./commands/<name>.ts and is loaded only when used, so
 * `kplane validate` never pays for the Kubernetes client.
 *
 * Exit codes: 0 success, 1 the command found problems (e.g. validation errors), 2 usage or I/O error.
 */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<{ command: Command }>> = {
  validate: () => import('./commands/validate.js'),
  schema: () => import('./commands/schema.js'),
  apply: () => import('./commands/apply.js'),
  status: () => import('./commands/status.js'),
  diff: () => import('./commands/diff.js'),
  template: () => import('./commands/template.js'),
  split: () => import('./commands/split.js'),
  rbac: () => import('./commands/rbac.js'),
  agent: () => import('./commands/agent.js'),
  dev: () => import('./commands/dev.js'),
  hub: () => import('./commands/hub.js'),
};

async function help(): Promise<string> {
  const lines = ['Usage: kplane <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    const summary = await load().then((m) => m.command.summary, () => '(not available in this build)');
    lines.push(`  ${name.padEnd(10)} ${summary}`);
  }
  lines.push('', 'Run `kplane <command> --help` for its options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`kplane: unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}. See kplane --help.`);
    return 2;
  }
  const { command } = await load();
  if (args.includes('--help') || args.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`kplane: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
