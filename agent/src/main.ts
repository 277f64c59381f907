#!/usr/bin/env node
/**
 * kplane-agent: enforces the ClusterProfiles of one cluster. Thin: parse flags, load the
 * kubeconfig (or the in-cluster service account), run the AgentRuntime, shut down cleanly on
 * SIGTERM/SIGINT. Exit codes: 0 clean stop, 1 lost leadership or fatal error, 2 usage error.
 */
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { DEFAULT_NAMESPACE, memberNameProblem, parseDuration } from '@kplane/profile';
import { KubeClient, loadConnection } from '@kplane/kube';
import { AgentRuntime } from './controller/agentRuntime.js';
import { defaultMetricsAuth, formatListenAddr, startHttpServer, type MetricsAuthMode } from './controller/httpServer.js';
import { KubeReviewer, MetricsAuth } from './controller/metricsAuth.js';
import { Logger, type Level } from './controller/logger.js';

export const USAGE = `Usage: kplane agent [options]

Runs the kplane agent: enforces this cluster's ClusterProfiles and reports through their status.

Options:
  --kubeconfig <path>      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --context <name>         kubeconfig context (default: the current context)
  --namespace <ns>         namespace of the ClusterProfiles and ClusterAgent (default: ${DEFAULT_NAMESPACE})
  --metrics-addr <addr>    serve /healthz, /readyz, /metrics on [host]:port, IPv6 in brackets (default: :8080; no host: every interface in a pod, loopback elsewhere; 0 = off)
  --metrics-auth <mode>    kubernetes: /metrics needs a bearer token the API server authorizes for get on
                           the non-resource URL /metrics (TokenReview, SubjectAccessReview); none: open
                           (default: kubernetes in a pod, none elsewhere; /healthz, /readyz are always open)
  --metrics-cert-dir <dir> serve HTTPS with <dir>/tls.crt and tls.key (a mounted kubernetes.io/tls Secret),
                           so bearer tokens are not sent in clear (default: HTTP)
  --leader-elect           take a coordination.k8s.io Lease before acting (run several replicas)
  --lease-duration <d>     Lease duration, e.g. 15s (default 15s)
  --id <identity>          identity in the Lease (default: hostname-pid)
  --heartbeat <d>          override ClusterAgent spec.heartbeatInterval, e.g. 5s
  --scaling-period <d>     how often scaling policies read their metric (default 5s)
  --workers <n>            profiles reconciled in parallel (default 2)
  --validate-schemas=false do not check rendered objects against the cluster's /openapi/v3 before
                           applying them (default true; the API server still validates on apply)
  --log-level <level>      debug, info, warn or error (default info)
  --hub-kubeconfig <path>  hub mode with this kubeconfig (default: Secret kplane-hub in the namespace,
                           written by kplane hub join, when it exists; see docs/hub.md)
  --hub-member <name>      the member name, when the hub kubeconfig's context namespace does not say it
  --hub-heartbeat <d>      how often the hub heartbeat Lease is renewed (default 60s)
  --hub-token-renew <d>    renew the hub token (from Secret kplane-hub) once it is this old
                           (default: 80% of its lifetime, at most 24h)`;

export interface AgentFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  metricsAddr: string;
  metricsAuth: MetricsAuthMode;
  metricsCertDir?: string;
  leaderElect: boolean;
  leaseDurationMs: number;
  id: string;
  heartbeatMs?: number;
  scalingPeriodMs: number;
  workers: number;
  /** Check rendered objects against the cluster's own schemas before applying (agent/src/controller/steps/validate.ts). */
  validateSchemas: boolean;
  logLevel: Level;
  hubKubeconfig?: string;
  hubMember?: string;
  hubHeartbeatMs?: number;
  hubTokenRenewMs?: number;
}

export function parseFlags(argv: string[]): AgentFlags {
  const flags: AgentFlags = {
    namespace: DEFAULT_NAMESPACE,
    metricsAddr: ':8080',
    metricsAuth: defaultMetricsAuth(),
    leaderElect: false,
    leaseDurationMs: 15_000,
    id: `${hostname()}-${process.pid}`,
    scalingPeriodMs: 5_000,
    workers: 2,
    validateSchemas: true,
    logLevel: 'info',
  };
  const duration = (name: string, value: string) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0) throw new UsageError(`${name} "${value}" is not a duration: write it like 500ms, 5s or 1m.`);
    return ms;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value. See kplane agent --help.`);
      return v;
    };
    switch (name) {
      case '--kubeconfig': flags.kubeconfig = value(); break;
      case '--context': flags.context = value(); break;
      case '--namespace': flags.namespace = value(); break;
      case '--metrics-addr': flags.metricsAddr = value(); break;
      case '--metrics-cert-dir': flags.metricsCertDir = value(); break;
      case '--metrics-auth': {
        const mode = value();
        if (mode !== 'kubernetes' && mode !== 'none') throw new UsageError(`--metrics-auth "${mode}": use kubernetes or none.`);
        flags.metricsAuth = mode;
        break;
      }
      case '--leader-elect': flags.leaderElect = inline === undefined ? true : inline !== 'false'; break;
      case '--validate-schemas': {
        if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new UsageError(`--validate-schemas=${inline}: write --validate-schemas=false to turn the check off.`);
        flags.validateSchemas = inline !== 'false';
        break;
      }
      case '--lease-duration': flags.leaseDurationMs = duration(name, value()); break;
      case '--id': flags.id = value(); break;
      case '--heartbeat': flags.heartbeatMs = duration(name, value()); break;
      case '--hub-kubeconfig': flags.hubKubeconfig = value(); break;
      case '--hub-member': {
        const member = value();
        const problem = memberNameProblem(member);
        if (problem) throw new UsageError(`--hub-member: ${problem}.`);
        flags.hubMember = member;
        break;
      }
      case '--hub-heartbeat': flags.hubHeartbeatMs = duration(name, value()); break;
      case '--hub-token-renew': flags.hubTokenRenewMs = duration(name, value()); break;
      case '--scaling-period': flags.scalingPeriodMs = duration(name, value()); break;
      case '--workers': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--workers must be a whole number ≥ 1.`);
        flags.workers = n;
        break;
      }
      case '--log-level': {
        const level = value();
        if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level "${level}": use debug, info, warn or error.`);
        flags.logLevel = level as Level;
        break;
      }
      default:
        throw new UsageError(`Unknown option "${arg}". See kplane agent --help.`);
    }
  }
  return flags;
}

export class UsageError extends Error {}

/** Runs the agent until a signal or lost leadership; resolves with the exit code. */
export async function runAgent(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let flags: AgentFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    console.error(`kplane agent: ${(err as Error).message}`);
    return 2;
  }
  const log = new Logger({ component: 'agent', id: flags.id }, flags.logLevel);
  let api: KubeClient;
  try {
    const connection = loadConnection({ kubeconfigPath: flags.kubeconfig, context: flags.context });
    // Which credentials are in use is the first question when the API server refuses them.
    log.info('connecting', { server: connection.server, via: connection.source });
    api = new KubeClient(connection);
  } catch (err) {
    log.error('cannot load the Kubernetes configuration', { err });
    return 2;
  }
  const runtime = new AgentRuntime(api, {
    namespace: flags.namespace,
    identity: flags.id,
    leaderElect: flags.leaderElect,
    leaseDurationMs: flags.leaseDurationMs,
    scalingPeriodMs: flags.scalingPeriodMs,
    heartbeatMs: flags.heartbeatMs,
    workers: flags.workers,
    validateSchemas: flags.validateSchemas,
    hub: { kubeconfigPath: flags.hubKubeconfig, member: flags.hubMember, heartbeatMs: flags.hubHeartbeatMs, tokenRenewAfterMs: flags.hubTokenRenewMs },
  }, log);
  const authLog = log.child({ component: 'metrics-auth' });
  const auth = flags.metricsAuth === 'kubernetes' ? new MetricsAuth(new KubeReviewer(api), { onError: (message) => authLog.warn('cannot check a /metrics request', { reason: message }) }) : undefined;
  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  try {
    server = flags.metricsAddr !== '0' ? await startHttpServer(runtime, flags.metricsAddr, { auth, certDir: flags.metricsCertDir }) : undefined;
  } catch (err) {
    log.error('cannot serve health and metrics', { err });
    api.close();
    return 2;
  }
  if (server) {
    const address = server.address();
    const listening = typeof address === 'object' && address ? formatListenAddr(address.address, address.port) : flags.metricsAddr;
    log.info('serving health and metrics', { addr: listening, metricsAuth: flags.metricsAuth, tls: flags.metricsCertDir !== undefined });
    if (!auth && typeof address === 'object' && address && !/^(127\.|::1$|::ffff:127\.)/.test(address.address)) {
      log.warn('/metrics is open to anyone who can reach this address: use --metrics-auth kubernetes, or a loopback --metrics-addr', { addr: listening });
    }
  }
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    if (stopping) return;
    log.info('shutting down', { signal });
    stopping = runtime.stop();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  runtime.start().catch((err) => {
    log.error('agent failed to start', { err });
    shutdown('error');
  });
  const why = await runtime.finished;
  await stopping;
  server?.close();
  server?.closeAllConnections();
  api.close();
  log.info('stopped', { reason: why });
  return why === 'lost-leadership' ? 1 : 0;
}

// Run when executed directly (node agent/out/main.js), not when imported by the CLI.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  runAgent(process.argv.slice(2)).then((code) => process.exit(code));
}
