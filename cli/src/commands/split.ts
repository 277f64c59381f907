import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { preflightProfile, splitProfile } from '@kplane/plane';
import type { Command } from '../main.js';

const usage = `Usage: kplane split <profile.yaml> [--max-bytes N] [--out FILE]

Splits a profile too large to store (PROFILE_TOO_LARGE) into a chain of profiles, each at most
--max-bytes as stored (default: the size kplane lets one profile use), each depending on the one
before (spec.dependsOn), so the agent applies them in order. Parts are packed by the size kplane
apply stores: above 256 KiB with their layers compressed, as PROFILE_TOO_LARGE judges, keeping
3 % of the limit free in a compressed part and each layer within what the agent decodes (8 MiB);
content that does not compress (certificates, binaryData) is packed by its plain size. A
--max-bytes of 256 KiB or less packs by plain size (parts that small are stored plain). CustomResourceDefinitions go first,
in a layer of their own that the other layers wait for. The last part keeps the profile's name
(what depended on it waits for the whole chain); the others are <name>-1, <name>-2, … Version and
reconcile settings are copied to every part; each part declares the variables its objects use, and a scaling policy goes with its target. Written as
YAML to --out or stdout (comments of the input are not kept).

Split a profile before it is first applied: applied as one profile, its objects belong to it, and
the parts would take them over. Exit 0 written, 1 cannot split, 2 usage or I/O.`;

export const command: Command = {
  summary: 'split a profile too large to store into profiles that depend on each other',
  usage,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'max-bytes': { type: 'string' }, out: { type: 'string', short: 'o' } } }));
    } catch (err) {
      console.error(`kplane split: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const maxBytes = values['max-bytes'] === undefined ? undefined : Number(values['max-bytes']);
    if (positionals.length !== 1 || (maxBytes !== undefined && (!Number.isInteger(maxBytes) || maxBytes < 1024))) {
      console.error(`kplane split: name one profile file; --max-bytes is a whole number of bytes, at least 1024.\n\n${usage}`);
      return 2;
    }
    const file = positionals[0];
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      console.error(`kplane split: cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return 2;
    }
    const preflight = preflightProfile(pathToFileURL(resolve(file)).href, file, text);
    // Being too large is what splitting is for; every other error stays in the way.
    const errors = preflight.errors.filter((e) => !/: PROFILE_TOO_LARGE /.test(e));
    if (errors.length) {
      console.error(`kplane split: ${file} has ${errors.length} error(s); fix them first (kplane validate shows them in context):`);
      for (const e of errors) console.error(`  ${e}`);
      return 1;
    }
    const out: string[] = [];
    for (const profile of preflight.profiles) {
      const result = splitProfile(profile, { maxBytes });
      if ('error' in result) {
        console.error(`kplane split: ${file}: profile ${profile.metadata.name}: ${result.error}`);
        return 1;
      }
      for (const part of result.profiles) out.push(stringify(part, { lineWidth: 0, aliasDuplicateObjects: false }));
      console.error(`kplane split: ${profile.metadata.name} into ${result.profiles.length} profile(s), each depending on the one before: ${result.profiles.map((p) => p.metadata.name).join(' → ')}`);
    }
    const yaml = out.map((doc) => `---\n${doc}`).join('');
    if (!values.out) {
      process.stdout.write(yaml);
      return 0;
    }
    try {
      await writeFile(values.out, yaml);
    } catch (err) {
      console.error(`kplane split: cannot write "${values.out}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return 2;
    }
    return 0;
  },
};
