/**
 * Kubeconfig contexts as fleet members. Several files merge like kubectl does (KUBECONFIG=a:b,
 * first definition of a name wins); exec and token auth are @kubernetes/client-node's.
 */
import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface FleetContext {
  name: string;
  server: string;
  /** A KubeConfig whose current context is this one, ready for requests. */
  kubeConfig: KubeConfig;
  /** Where this cluster's ClusterAgent and ClusterProfiles live, when not the fleet-wide namespace. */
  kplaneNamespace?: string;
  /** The kubeconfig says insecure-skip-tls-verify: the API server's certificate is not checked. */
  insecure?: boolean;
}

/** What to say, wherever the fleet is opened (tree, log, CLI), about a context whose TLS is not verified. */
export function insecureContextWarning(context: Pick<FleetContext, 'name' | 'server'>): string {
  return `Context "${context.name}" (${context.server}) has insecure-skip-tls-verify: kplane does not check its API server's certificate, so anyone on the network path can pose as it and read the credentials sent; give the cluster a certificate-authority(-data) in the kubeconfig instead.`;
}

export interface LoadedKubeconfig {
  kubeConfig: KubeConfig;
  /** The files read, in order. */
  files: string[];
  /** One message per file that could not be read, naming it. */
  errors: string[];
}

/**
 * `paths` is a KUBECONFIG-style list (split on the platform's path delimiter) or empty, which
 * means $KUBECONFIG, then ~/.kube/config.
 */
export function loadKubeconfig(paths?: string): LoadedKubeconfig {
  const list = (paths ?? '').split(delimiter).map((p) => p.trim()).filter(Boolean);
  if (!list.length) {
    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromDefault();
    } catch (err) {
      return { kubeConfig, files: [], errors: [`default kubeconfig: ${message(err)}; set KUBECONFIG or the kplane.fleet.kubeconfig setting`] };
    }
    return { kubeConfig, files: (process.env.KUBECONFIG ?? '~/.kube/config').split(delimiter), errors: [] };
  }
  const clusters = new Map<string, unknown>();
  const users = new Map<string, unknown>();
  const contexts = new Map<string, unknown>();
  let currentContext = '';
  const errors: string[] = [];
  for (const file of list) {
    try {
      const one = new KubeConfig();
      one.loadFromString(readFileSync(file, 'utf8'));
      for (const c of one.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
      for (const u of one.users) if (!users.has(u.name)) users.set(u.name, u);
      for (const c of one.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
      currentContext ||= one.currentContext;
    } catch (err) {
      errors.push(`kubeconfig ${file}: ${message(err)}; fix the file or remove it from the list`);
    }
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return { kubeConfig, files: list, errors };
}

/** The named contexts (all when `names` is empty), each with its own KubeConfig; unknown names are reported. */
export function fleetContexts(kc: KubeConfig, names?: readonly string[]): { contexts: FleetContext[]; unknown: string[] } {
  const all = kc.getContexts();
  const wanted = names?.length ? names : all.map((c) => c.name);
  const byName = new Map(all.map((c) => [c.name, c]));
  const contexts: FleetContext[] = [];
  const unknown: string[] = [];
  for (const name of wanted) {
    const context = byName.get(name);
    const cluster = context ? kc.getCluster(context.cluster) : null;
    if (!context || !cluster) {
      unknown.push(name);
      continue;
    }
    contexts.push({ name, server: cluster.server, kubeConfig: forContext(kc, name), ...(cluster.skipTLSVerify ? { insecure: true } : {}) });
  }
  return { contexts, unknown };
}

/** A KubeConfig sharing `kc`'s clusters and users, with `name` as its current context. */
export function forContext(kc: KubeConfig, name: string): KubeConfig {
  const one = new KubeConfig();
  one.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: name });
  return one;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
