/**
 * A real network partition on loopback for the faults suite: iptables rules that DROP every TCP
 * packet to and from one port on `lo`. Connections through that port go silent (no RST, no FIN,
 * SYNs unanswered), as behind a dead link or a firewall, so what is tested is the agent's own
 * idle and keep-alive detection, not its handling of a reset. The port must be one only the
 * party to cut off uses (here the loopback proxy the member's agent dials the hub through).
 *
 * The rules carry a comment with this process's pid. They are removed by `heal`, by an `exit` and
 * a SIGINT/SIGTERM hook, and, for a run killed outright, by the next run (`reapStale`), which
 * removes the rules of pids no longer alive.
 */
import { spawnSync } from 'node:child_process';

const TAG = 'kplane-faults-partition';

export interface LoopbackPartition {
  /** Drop every packet to and from the port, both ways, from now on. */
  cut(): void;
  /** Remove the rules (every copy of them); idempotent. */
  heal(): void;
}

const iptables = (args: string[]) => spawnSync('iptables', ['-w', '10', ...args], { encoding: 'utf8' });

/** Why no partition can be made on this machine, or undefined when iptables works here. */
export function firewallUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'iptables rules need root, and this run is not root';
  const probe = iptables(['-S', 'OUTPUT']);
  if (probe.error) return `no iptables on this machine (${probe.error.message}); on Debian: apt-get install -y iptables`;
  if (probe.status !== 0) return `iptables -S OUTPUT failed (exit ${probe.status}): ${probe.stderr.trim()}`;
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes the rules a killed run left behind (their pid is gone). */
export function reapStale(): void {
  const listed = iptables(['-S', 'OUTPUT']);
  for (const line of listed.stdout.split('\n')) {
    const pid = new RegExp(`${TAG} pid=(\\d+)`).exec(line)?.[1];
    if (!pid || alive(Number(pid))) continue;
    // `-S` prints the rule as `-A OUTPUT …` with the comment quoted: a shell reads it back as written.
    spawnSync('sh', ['-c', `iptables -w 10 ${line.replace(/^-A /, '-D ')}`]);
  }
}

export function loopbackPartition(port: number): LoopbackPartition {
  const comment = `${TAG} pid=${process.pid} port=${port}`;
  const rules = [
    ['OUTPUT', '-o', 'lo', '-p', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', comment, '-j', 'DROP'],
    ['OUTPUT', '-o', 'lo', '-p', 'tcp', '--sport', String(port), '-m', 'comment', '--comment', comment, '-j', 'DROP'],
  ];
  const heal = () => {
    for (const rule of rules) {
      // -C: is it there; -D removes one copy. A failed -D (already gone) ends the loop.
      for (let i = 0; i < 10 && iptables(['-C', ...rule]).status === 0; i++) if (iptables(['-D', ...rule]).status !== 0) break;
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    heal();
    // Nobody else handles it: die of it as the process would have without this hook.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  let hooked = false;
  return {
    cut: () => {
      if (!hooked) {
        hooked = true;
        process.on('exit', heal);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }
      for (const rule of rules) {
        const added = iptables(['-I', ...rule]);
        if (added.status !== 0) {
          heal();
          throw new Error(`iptables -I ${rule.join(' ')} failed (exit ${added.status}): ${added.stderr.trim()}`);
        }
      }
    },
    heal,
  };
}
