/**
 * Helm layers, from chart reference to objects: resolve and pull the chart (helm pull), keep
 * every pulled version in the cluster (one Secret per profile, layer and chart version, keyed by
 * the archive's digest), render it (helm template) with the cluster's Capabilities, and split the
 * output into phases (../core/helmManifests.ts). The result then goes through the reconciler's
 * one apply/health/drift/prune path, like manifests.
 *
 * A registry that cannot be reached is not an outage of the layer: the last pulled chart is read
 * from its Secret, so a restarted agent still enforces the layer while the registry is down.
 */
import type { HelmChart } from '@kplane/profile';
import { splitChartOutput, type ChartRender } from '../core/helmManifests.js';
import { fingerprint } from '../core/objects.js';
import { hasStatus, type Discovery, type KubeClient } from '@kplane/kube';
import { HelmCli, HelmError, findHelm, digestOf, type PulledChart, type RepoCredentials } from './helmCli.js';

/** A range is resolved again (a newer match may have been published) at most this often. */
const RESOLVE_TTL_MS = 5 * 60_000;
/** Chart versions kept per layer (the newest ones); older Secrets are deleted. */
const KEEP_VERSIONS = 3;
/** A Secret holds at most 1 MiB; archives bigger than this are pulled but not kept. */
const MAX_STORED_BYTES = 900 * 1024;

export const LABEL_CHART_OF = 'kplane.dev/chart-of';
const LABEL_CHART_LAYER = 'kplane.dev/chart-layer';
const ANN_CHART = 'kplane.dev/chart';
const ANN_VERSION = 'kplane.dev/chart-version';
const ANN_DIGEST = 'kplane.dev/chart-digest';
const ANN_REPO = 'kplane.dev/chart-repo';
const ANN_STORED = 'kplane.dev/stored-time';

export interface ChartRequest {
  profile: { namespace: string; name: string };
  layer: string;
  helm: HelmChart & { releaseName: string };
  /** The release namespace (the layer's namespace, else default). */
  namespace: string;
}

export interface RenderedChart {
  chart: string;
  version: string;
  digest: string;
  render: ChartRender;
  /** Set when the repository could not be reached and a stored chart was used. */
  warning?: string;
}

interface StoredChart {
  version: string;
  digest: string;
  repo: string;
  chart: string;
  storedTime: string;
  archive: Buffer;
}

export class ChartSource {
  private readonly resolved = new Map<string, { at: number; pulled: PulledChart }>();
  private readonly rendered = new Map<string, RenderedChart>();
  private cli: HelmCli | undefined;

  constructor(
    private readonly api: KubeClient,
    private readonly discovery: Discovery,
    /** The agent's namespace: credentials Secrets live there. */
    private readonly agentNamespace: string,
  ) {}

  /** The chart's objects by phase, or a message for the layer's status. */
  async render(req: ChartRequest): Promise<{ chart?: RenderedChart; error?: string }> {
    const bin = findHelm();
    if (!bin) return { error: 'Helm is not installed where the agent runs: put helm on PATH or set KPLANE_HELM (the agent image ships it).' };
    this.cli ??= new HelmCli(bin);
    const { helm } = req;
    let pulled: PulledChart;
    let warning: string | undefined;
    try {
      pulled = await this.pull(req);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const stored = await this.newestStored(req).catch(() => undefined);
      if (!stored) return { error: `cannot fetch chart ${helm.chart} ${helm.version} from ${helm.repo}: ${why}` };
      pulled = { archive: stored.archive, digest: stored.digest, version: stored.version };
      warning = `cannot reach ${helm.repo} (${why}); enforcing the stored chart ${helm.chart} ${stored.version}`;
    }
    const caps = await this.discovery.capabilities();
    const values = helm.values ?? {};
    const key = fingerprint([pulled.digest, helm.releaseName, req.namespace, values, caps]);
    const memo = this.rendered.get(key);
    if (memo) return { chart: { ...memo, warning } };
    let text: string;
    try {
      text = await this.cli.template({ archive: pulled.archive, releaseName: helm.releaseName, namespace: req.namespace, values, kubeVersion: caps.kubeVersion, apiVersions: caps.apiVersions });
    } catch (err) {
      return { error: `chart ${helm.chart} ${pulled.version} did not render: ${err instanceof Error ? err.message : String(err)}` };
    }
    const split = splitChartOutput(text);
    if (!split.render) return { error: `chart ${helm.chart} ${pulled.version}: ${split.error}` };
    const chart: RenderedChart = { chart: helm.chart, version: pulled.version, digest: pulled.digest, render: split.render };
    // Values change rarely; a handful of renders per layer is plenty.
    if (this.rendered.size > 200) this.rendered.clear();
    this.rendered.set(key, chart);
    return { chart: { ...chart, warning } };
  }

  /** Deletes the stored charts of a profile (its deletion), or of one layer that left it. */
  async forget(profile: { namespace: string; name: string }): Promise<void> {
    for (const secret of await this.listStored(profile)) await this.deleteSecret(profile.namespace, secret.metadata.name);
  }

  private async pull(req: ChartRequest): Promise<PulledChart> {
    const { helm } = req;
    const key = JSON.stringify([helm.repo, helm.chart, helm.version, helm.credentialsSecret ?? '']);
    const hit = this.resolved.get(key);
    const exact = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(helm.version.trim());
    if (hit && (exact || Date.now() - hit.at < RESOLVE_TTL_MS)) return hit.pulled;
    // An exact version already stored for this layer is not pulled again: a chart version is immutable.
    if (exact && !hit) {
      const stored = (await this.readStored(req).catch(() => [])).find((s) => s.version === helm.version.trim().replace(/^v/, '') && s.repo === helm.repo);
      if (stored) {
        const pulled = { archive: stored.archive, digest: stored.digest, version: stored.version };
        this.resolved.set(key, { at: Date.now(), pulled });
        return pulled;
      }
    }
    const credentials = await this.credentials(helm.credentialsSecret);
    const pulled = await this.cli!.pull(helm.repo, helm.chart, helm.version.trim(), credentials);
    this.resolved.set(key, { at: Date.now(), pulled });
    await this.store(req, pulled).catch(() => undefined);
    return pulled;
  }

  private async credentials(secretName: string | undefined): Promise<RepoCredentials> {
    if (!secretName) return {};
    const secret = await this.api.getOrUndefined<{ data?: Record<string, string> }>(`/api/v1/namespaces/${this.agentNamespace}/secrets/${encodeURIComponent(secretName)}`);
    if (!secret) throw new HelmError(`credentials Secret ${this.agentNamespace}/${secretName} does not exist; create it with username/password and/or ca.crt`);
    const text = (k: string) => (secret.data?.[k] !== undefined ? Buffer.from(secret.data[k], 'base64').toString('utf8') : undefined);
    return { username: text('username'), password: text('password'), caPem: text('ca.crt') };
  }

  private secretName(req: ChartRequest, version: string): string {
    const owner = fingerprint([req.profile.namespace, req.profile.name, req.layer, req.helm.chart]);
    const safe = version.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[.-]+|[.-]+$/g, '');
    return `kplane-chart-${req.profile.name.slice(0, 80)}-${req.layer}-${owner}-${safe}`.slice(0, 253).replace(/[.-]+$/, '');
  }

  private async store(req: ChartRequest, pulled: PulledChart): Promise<void> {
    if (pulled.archive.length > MAX_STORED_BYTES) return;
    const name = this.secretName(req, pulled.version);
    const path = `/api/v1/namespaces/${req.profile.namespace}/secrets/${name}`;
    const existing = await this.api.getOrUndefined<{ metadata: { annotations?: Record<string, string> } }>(path);
    if (existing?.metadata.annotations?.[ANN_DIGEST] === pulled.digest) return;
    await this.api.apply(
      path,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kplane.dev/helm-chart',
        metadata: {
          name,
          namespace: req.profile.namespace,
          labels: { [LABEL_CHART_OF]: req.profile.name, [LABEL_CHART_LAYER]: req.layer },
          annotations: { [ANN_CHART]: req.helm.chart, [ANN_VERSION]: pulled.version, [ANN_DIGEST]: pulled.digest, [ANN_REPO]: req.helm.repo, [ANN_STORED]: new Date().toISOString() },
        },
        data: { 'chart.tgz': pulled.archive.toString('base64') },
      },
      'kplane-agent',
    );
    // Keep the newest few versions of this layer's chart.
    const all = (await this.listStored(req.profile)).filter((s) => s.metadata.labels?.[LABEL_CHART_LAYER] === req.layer);
    all.sort((a, b) => (b.metadata.annotations?.[ANN_STORED] ?? '').localeCompare(a.metadata.annotations?.[ANN_STORED] ?? ''));
    for (const old of all.slice(KEEP_VERSIONS)) await this.deleteSecret(req.profile.namespace, old.metadata.name);
  }

  private async listStored(profile: { namespace: string; name: string }): Promise<SecretObject[]> {
    const list = await this.api.request<{ items: SecretObject[] }>('GET', `/api/v1/namespaces/${profile.namespace}/secrets`, {
      query: { labelSelector: `${LABEL_CHART_OF}=${profile.name}` },
    });
    return list.items ?? [];
  }

  private async readStored(req: ChartRequest): Promise<StoredChart[]> {
    const out: StoredChart[] = [];
    for (const s of await this.listStored(req.profile)) {
      const a = s.metadata.annotations ?? {};
      if (s.metadata.labels?.[LABEL_CHART_LAYER] !== req.layer || a[ANN_CHART] !== req.helm.chart || !s.data?.['chart.tgz']) continue;
      const archive = Buffer.from(s.data['chart.tgz'], 'base64');
      // Stored data is checked against its recorded digest before it is trusted.
      if (digestOf(archive) !== a[ANN_DIGEST]) continue;
      out.push({ version: a[ANN_VERSION] ?? '', digest: a[ANN_DIGEST] ?? '', repo: a[ANN_REPO] ?? '', chart: a[ANN_CHART] ?? '', storedTime: a[ANN_STORED] ?? '', archive });
    }
    return out;
  }

  /** The stored chart to fall back on: the exact version asked for, else the newest stored. */
  private async newestStored(req: ChartRequest): Promise<StoredChart | undefined> {
    const stored = (await this.readStored(req)).filter((s) => s.repo === req.helm.repo);
    const wanted = req.helm.version.trim().replace(/^v/, '');
    const exact = stored.find((s) => s.version === wanted);
    if (exact) return exact;
    if (/^\d+\.\d+\.\d+/.test(wanted) && !/[<>=~^*xX|, ]/.test(wanted)) return undefined; // an exact version that was never pulled
    return stored.sort((a, b) => b.storedTime.localeCompare(a.storedTime))[0];
  }

  private async deleteSecret(namespace: string, name: string): Promise<void> {
    try {
      await this.api.request('DELETE', `/api/v1/namespaces/${namespace}/secrets/${name}`);
    } catch (err) {
      if (!hasStatus(err, 404)) throw err;
    }
  }
}

interface SecretObject {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}
