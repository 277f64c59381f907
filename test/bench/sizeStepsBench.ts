/**
 * The editor's background size check (@kplane/profile warmSizeStep, run by the language server in
 * setImmediate slices): how long its longest single step blocks the event loop, on the big-profile
 * fixtures (test/fixtures/bigProfiles.ts) and the real-shaped profile of bench:lsp. Every step is
 * timed; each profile is built fresh per round (the sizes are remembered per object).
 *
 *   npm run build && node test/out/bench/sizeStepsBench.js
 *   KPLANE_PROFILE=<another build's profile/out/index.js>: an A/B, rounds alternating in one process
 *   (run with node --expose-gc to collect before each round).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { bigCrdProfile, bigProfile, noise } from '../fixtures/bigProfiles.js';
import { realShapedProfile } from './realShapedProfile.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const profiles: [string, () => unknown][] = [
  ['400 ConfigMaps of noise (1.6 MB, over the limit)', () => bigProfile(400, (i) => noise(4000, i + 1))],
  ['400 ConfigMaps of panels (1.6 MB, compresses)', () => bigProfile(400, (i) => `panel ${i} `.repeat(400))],
  ['40 CRDs of 45 KB (1.8 MB)', () => bigCrdProfile(40, 45)],
  ['real-shaped 60k lines', () => parse(realShapedProfile(60_000, 'size'))],
];

type Profile = typeof import('@kplane/profile');

/**
 * One round: every step of warmSizeStep on a fresh copy, after the plain size is known (the
 * editor's first validation measured it): the longest step in wall and in CPU time, all steps, how many.
 */
function round(profile: Profile, make: () => unknown): { longest: number; longestCpu: number; total: number; steps: number; plain: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const doc = make() as Record<string, unknown>;
  const plain = profile.storedSize(doc);
  let longest = 0;
  let longestCpu = 0;
  let total = 0;
  let steps = 0;
  for (;;) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const more = profile.warmSizeStep(doc);
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (!more) break;
    steps++;
    total += ms;
    longest = Math.max(longest, ms);
    longestCpu = Math.max(longestCpu, (c.user + c.system) / 1000);
  }
  return { longest, longestCpu, total, steps, plain };
}

async function main(): Promise<void> {
  // This build, and with KPLANE_PROFILE another one, rounds alternating between them.
  const builds: [string, Profile][] = [['this build', (await import('@kplane/profile')) as Profile]];
  if (process.env.KPLANE_PROFILE) builds.push(['other build', (await import(pathToFileURL(process.env.KPLANE_PROFILE).href)) as Profile]);
  console.log(`load at start ${load()}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc to collect before each round)'}`);
  for (const [name, make] of profiles) {
    const runs = builds.map(() => [] as ReturnType<typeof round>[]);
    for (let r = 0; r < ROUNDS; r++) {
      for (let b = 0; b < builds.length; b++) {
        const i = r % 2 ? builds.length - 1 - b : b;
        runs[i].push(round(builds[i][1], make));
      }
    }
    builds.forEach(([build], i) => {
      const rs = runs[i];
      console.log(
        `${name} [${build}]: ${(rs[0].plain / 1024 / 1024).toFixed(2)} MB plain, ${rs[0].steps} steps; longest step median ${median(rs.map((x) => x.longest)).toFixed(1)} ms wall, ${median(rs.map((x) => x.longestCpu)).toFixed(1)} ms CPU ` +
          `(rounds ${rs.map((x) => x.longest.toFixed(1)).join(' ')}), all steps median ${median(rs.map((x) => x.total)).toFixed(1)} ms`,
      );
    });
  }
  console.log(`load at end ${load()}; cpu ${((process.cpuUsage().user + process.cpuUsage().system) / 1000).toFixed(0)} ms`);
}

void main();
