#!/usr/bin/env node
/**
 * `npm run demo`: installs dependencies if they are missing, builds, then runs the demo, which is
 * typed, linted code in bed/src/demo/. `--screenshots` saves docs/screenshots/*.png and exits;
 * `--skip-build` uses the build that is there. Only Node built-ins are imported before the install.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (what, command, args) => {
  console.log(`[demo] ${what}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[demo] ${what} failed (exit ${result.status ?? result.signal}). Fix the error above and run the demo again.`);
    process.exit(1);
  }
};
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) step('installing dependencies', 'npm', ['install', '--no-audit', '--no-fund']);
if (!process.argv.includes('--skip-build')) step('building', 'npm', ['run', '--silent', 'build']);
const { runDemo } = await import(pathToFileURL(join(root, 'bed', 'out', 'demo', 'demo.js')).href);
process.exit(await runDemo(process.argv.slice(2)));
