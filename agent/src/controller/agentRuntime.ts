/**
 * Wires the agent together: the profile informer and the per-kind informers feed one work
 * queue; workers run the reconciler; the scaler and the reporter run beside them. With leader
 * election, nothing but the election runs until this replica holds the Lease.
 */
import { AGENT_PLURAL, API_VERSION, PROFILE_PLURAL, type ClusterAgent, type ClusterProfile, type ObjectRef, type ScalingPolicy, type ScalingStatus } from '@kplane/profile';
import { ownerOf } from '../core/objects.js';
import { dependentsOf } from '../core/dependencies.js';
import { collectionPath, delay, Discovery, Informer, storeKey, type KubeClient, type KubeObject, type ResourceInfo } from '@kplane/kube';
import { ChartSource } from '../helm/chartSource.js';
import { AgentReporter } from './agentReporter.js';
import { LeaderElector } from './leaderElection.js';
import { LocalPolicySource } from './localPolicy.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { ProfileReconciler, sensitiveValues } from './profileReconciler.js';
import { Scaler } from './scaler.js';
import { WorkQueue } from './workQueue.js';
import { digestSchemas } from './schemaDigest.js';
import { HubMode } from '../hub/hubMode.js';

export interface AgentOptions {
  namespace: string;
  identity: string;
  leaderElect: boolean;
  leaseDurationMs: number;
  /** How often scaling policies read their metrics. */
  scalingPeriodMs: number;
  /** Overrides ClusterAgent spec.heartbeatInterval (tests). */
  heartbeatMs?: number;
  workers: number;
  /** Check rendered objects against the cluster's own schemas before applying (default true; --validate-schemas=false). */
  validateSchemas?: boolean;
  /** Hub mode (docs/hub.md): --hub-kubeconfig, else the kplane-hub Secret when it exists. */
  hub?: { kubeconfigPath?: string; member?: string; heartbeatMs?: number; tokenRenewAfterMs?: number };
}

const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=kplane-agent';
/** SIGTERM → exit: well inside Kubernetes' grace period, and short enough that a standby barely waits. */
export const SHUTDOWN_BUDGET_MS = 800;
/** How soon an edit of the local policy reaches profiles that no other change queues. */
const POLICY_POLL_MS = 2_000;

export class AgentRuntime {
  readonly metrics = new Metrics();
  readonly queue = new WorkQueue();
  private readonly discovery: Discovery;
  private readonly stopController = new AbortController();
  private profileInformer?: Informer;
  private agentInformer?: Informer;
  private readonly kindInformers = new Map<string, Promise<Informer>>();
  private readonly reconciler: ProfileReconciler;
  /** The run in progress per profile, aborted when its profile is deleted. */
  private readonly running = new Map<string, AbortController>();
  private readonly reporter: AgentReporter;
  private readonly scaler: Scaler;
  private readonly elector?: LeaderElector;
  private readonly policy: LocalPolicySource;
  readonly hub: HubMode;
  private workers: Promise<void>[] = [];
  private background: Promise<void>[] = [];
  ready = false;
  leader = false;
  /** Resolves when the agent stops acting (shutdown, or lost leadership). */
  readonly finished: Promise<'stopped' | 'lost-leadership'>;
  private finish!: (why: 'stopped' | 'lost-leadership') => void;

  constructor(
    private readonly api: KubeClient,
    private readonly options: AgentOptions,
    private readonly log: Logger,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
    this.discovery = new Discovery(api);
    this.policy = new LocalPolicySource(api, options.namespace);
    this.reporter = new AgentReporter(api, options.namespace, log.child({ component: 'reporter' }), () => this.profiles(), () => this.profiles().flatMap(sensitiveValues), options.heartbeatMs);
    this.scaler = new Scaler(api, this.discovery, log.child({ component: 'scaler' }), (key, profile, policy, status) => this.onScale(key, profile, policy, status),
      (ref) => this.kindInformers.get(`${ref.apiVersion}/${ref.kind}`)?.then((i) => i.store.get(storeKey({ metadata: { name: ref.name, namespace: ref.namespace } })), () => undefined),
    );
    this.reconciler = new ProfileReconciler({
      api,
      discovery: this.discovery,
      charts: new ChartSource(api, this.discovery, options.namespace),
      policy: this.policy,
      log: log.child({ component: 'reconciler' }),
      metrics: this.metrics,
      namespace: options.namespace,
      validateSchemas: options.validateSchemas ?? true,
      profileCache: () => this.profileInformer?.store ?? new Map(),
      observeProfile: (obj) => {
        this.profileInformer?.observe(obj);
        // Profiles waiting for this one look at once at what the agent just wrote (Ready, say),
        // instead of after its watch event: on a split stack that event carries a whole 1.4 MB part.
        for (const dependent of dependentsOf(obj.metadata.namespace ?? '', obj.metadata.name, this.profiles())) this.queue.add(dependent);
      },
      queueDependents: (namespace, name) => {
        for (const dependent of dependentsOf(namespace, name, this.profiles())) this.queue.add(dependent);
      },
      informerFor: (info) => this.informerFor(info),
      event: (profile, severity, reason, message) => this.reporter.event(profile, severity, reason, message),
      scaledReplicas: (key, profile, target: ObjectRef) => this.scaler.replicasFor(key, profile, target),
      scalingStatus: (key) => this.scaler.statusFor(key),
      now: () => new Date(),
    });
    this.hub = new HubMode(api, options.namespace, { ...options.hub, heartbeatMs: options.hub?.heartbeatMs ?? 60_000 }, {
      local: api,
      localNamespace: options.namespace,
      identity: options.identity,
      localProfiles: () => this.profileInformer?.store ?? new Map(),
      observeLocal: (obj) => this.profileInformer?.observe(obj),
      events: () => this.reporter.events,
      nextSeq: () => this.reporter.nextSeq,
      summary: () => this.reporter.lastStatus,
    }, log.child({ component: 'hub' }));
    this.reporter.listeners.event = (event) => this.hub.onEvent(event);
    this.reporter.listeners.status = (status) => this.hub.onStatus(status);
    if (options.leaderElect) {
      this.elector = new LeaderElector(api, { namespace: options.namespace, name: 'kplane-agent', identity: options.identity, leaseDurationMs: options.leaseDurationMs, retryPeriodMs: Math.max(200, options.leaseDurationMs / 5) }, log.child({ component: 'leader-election' }));
    }
    this.metrics.counter('kplane_agent_reconcile_total', 'Reconciles of a ClusterProfile, by result.');
    this.metrics.histogram('kplane_agent_reconcile_duration_seconds', 'How long one reconcile of a ClusterProfile took.');
    this.metrics.histogram('kplane_agent_apply_duration_seconds', 'How long one server-side apply took.');
    this.metrics.counter('kplane_agent_drift_corrections_total', 'Managed objects put back after someone else changed or deleted them.');
    this.metrics.gauge('kplane_agent_queue_depth', 'Profiles waiting in the work queue.', () => this.queue.depth);
    this.metrics.gauge('kplane_agent_watched_kinds', 'Resource kinds watched for drift.', () => this.kindInformers.size);
    this.metrics.gauge('kplane_agent_leader', '1 when this replica holds the leader Lease.', () => (this.leader ? 1 : 0));
    // What the resident memory is made of (names as prom-client's): V8's heap, in use and reserved, and memory outside it.
    this.metrics.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
    this.metrics.gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes.', () => process.memoryUsage().heapTotal);
    this.metrics.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use (live and not yet collected), in bytes.', () => process.memoryUsage().heapUsed);
    this.metrics.gauge('nodejs_external_memory_bytes', 'Memory of objects outside the V8 heap (Buffers among them), in bytes.', () => process.memoryUsage().external);
  }

  async start(): Promise<void> {
    const signal = this.stopController.signal;
    if (this.elector) {
      this.log.info('waiting to become leader', { identity: this.options.identity });
      this.ready = true; // a standby is healthy and ready; it just does not act
      if (!(await this.elector.acquire(signal))) return;
      this.background.push(
        this.elector.keep(signal, () => {
          this.log.error('lost the leader lease; stopping so that only one replica acts');
          this.leader = false;
          this.finish('lost-leadership');
        }),
      );
    }
    this.leader = true;
    this.log.info('acting', { identity: this.options.identity, namespace: this.options.namespace, ...(this.options.validateSchemas === false ? { schemaValidation: 'off' } : {}) });
    await this.withRetry('start the reporter', () => this.reporter.start());
    this.profileInformer = new Informer(this.api, `/apis/${API_VERSION}/namespaces/${this.options.namespace}/${PROFILE_PLURAL}`, (type, obj, previous) => this.onProfile(type, obj, previous), {
      kind: 'ClusterProfile',
      apiVersion: API_VERSION,
      onError: (err, attempt) => this.log.warn('profile watch failed; retrying', { err, attempt }),
      onRelist: () => this.log.info('watch expired (410 Gone); relisting', { kind: 'ClusterProfile' }),
    }).start();
    await this.profileInformer.synced;
    // spec.heartbeatInterval changes reach the reporter at once, not only at its next write.
    this.agentInformer = new Informer(this.api, `/apis/${API_VERSION}/namespaces/${this.options.namespace}/${AGENT_PLURAL}`, (type, obj) => {
      if (type !== 'DELETED') this.reporter.followSpec(obj as unknown as ClusterAgent);
    }, {
      kind: 'ClusterAgent',
      apiVersion: API_VERSION,
      onError: (err, attempt) => this.log.warn('ClusterAgent watch failed; retrying', { err, attempt }),
    }).start();
    this.agentInformer.synced.catch((err) => this.log.warn('cannot watch the ClusterAgent (RBAC needs list and watch on clusteragents); heartbeat interval changes apply from the next heartbeat', { err }));
    this.workers = Array.from({ length: this.options.workers }, () => this.work());
    this.background.push(this.reporter.run(signal), this.scaleLoop(signal), this.policyLoop(signal), this.hub.run(signal));
    this.ready = true;
  }

  private async withRetry(what: string, fn: () => Promise<void>): Promise<void> {
    for (let attempt = 1; !this.stopController.signal.aborted; attempt++) {
      try {
        return await fn();
      } catch (err) {
        this.log.warn(`could not ${what}; retrying`, { err, attempt });
        await delay(Math.min(30_000, 200 * 2 ** attempt), this.stopController.signal);
      }
    }
  }

  private profiles(): ClusterProfile[] {
    return [...(this.profileInformer?.store.values() ?? [])] as unknown as ClusterProfile[];
  }

  private informerFor(info: ResourceInfo): Promise<Informer> {
    const id = `${info.apiVersion}/${info.kind}`;
    let informer = this.kindInformers.get(id);
    if (!informer) {
      const started = new Informer(
        this.api,
        collectionPath(info),
        (_type, obj) => {
          // Any change to an object the agent owns sends its profile back through the queue:
          // this is what makes drift visible at once, not at the next resync.
          const owner = ownerOf(obj.metadata.labels);
          if (owner && owner.namespace === this.options.namespace) this.queue.add(`${owner.namespace}/${owner.name}`);
        },
        {
          labelSelector: MANAGED_SELECTOR,
          kind: info.kind,
          apiVersion: info.apiVersion,
          // CRDs are kept with digests of their big schemas: drift detection needs no more (./schemaDigest.ts).
          ...(info.kind === 'CustomResourceDefinition' ? { transform: digestSchemas } : {}),
          onError: (err, attempt) => this.log.warn('watch failed; retrying', { kind: id, err, attempt }),
          onRelist: () => this.log.info('watch expired (410 Gone); relisting', { kind: id }),
        },
      ).start();
      informer = started.synced.then(
        () => started,
        (err) => {
          // Forget it, so a later reconcile tries again (e.g. after RBAC was widened).
          this.kindInformers.delete(id);
          throw err;
        },
      );
      this.kindInformers.set(id, informer);
    }
    return informer;
  }

  /**
   * A deleted profile (or one whose deletion just began) cancels its run in progress: applying
   * more of it is pointless, and the run that follows removes what it owned.
   */
  private onProfile(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject, previous?: KubeObject): void {
    const key = storeKey(obj);
    const deleting = type === 'DELETED' || (!!obj.metadata.deletionTimestamp && !previous?.metadata.deletionTimestamp);
    if (deleting) this.running.get(key)?.abort(new Error(`profile ${key} is being deleted`));
    this.queue.add(key);
    // Profiles waiting for this one (spec.dependsOn) look again as soon as its status changes.
    for (const dependent of dependentsOf(obj.metadata.namespace ?? '', obj.metadata.name, this.profiles())) this.queue.add(dependent);
    this.reporter.profilesChanged();
    this.hub.onLocalProfile(obj);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = Date.now();
      const run = new AbortController();
      this.running.set(key, run);
      const signal = AbortSignal.any([run.signal, this.stopController.signal]);
      try {
        const result = await this.reconciler.reconcile(key, signal);
        this.queue.forget(key);
        this.metrics.inc('kplane_agent_reconcile_total', { result: 'success' });
        if (result.requeueAfterMs) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        if (signal.aborted) {
          // Not a failure: the profile went away or the agent is stopping. The event that
          // aborted the run has queued the profile again (a stopping queue ignores it).
          this.metrics.inc('kplane_agent_reconcile_total', { result: 'aborted' });
          this.log.info('reconcile cancelled', { profile: key, why: signal.reason });
        } else {
          // The queue alone owns the backoff: failed objects often heal by themselves (a CRD
          // becoming served, RBAC widened), so retry soon, then less and less often.
          const retryIn = this.queue.addRateLimited(key);
          this.metrics.inc('kplane_agent_reconcile_total', { result: 'error' });
          this.log.warn('reconcile failed; retrying', { profile: key, err, retryInMs: retryIn });
        }
      } finally {
        this.running.delete(key);
        this.metrics.observe('kplane_agent_reconcile_duration_seconds', (Date.now() - started) / 1000);
        this.queue.done(key);
      }
    }
  }

  private async scaleLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.scaler.beginPass(this.profiles());
      for (const profile of this.profiles()) {
        if (profile.metadata.deletionTimestamp) continue;
        await this.scaler.evaluate(`${profile.metadata.namespace}/${profile.metadata.name}`, profile, new Date());
      }
      await delay(this.options.scalingPeriodMs, signal);
    }
  }

  /**
   * The local policy is read by every run; this loop only notices an edit (or a new or deleted
   * ConfigMap) and queues every profile, so a refused profile is applied as soon as the admin
   * allows it, and an allowed one is refused as soon as the admin narrows the policy.
   */
  private async policyLoop(signal: AbortSignal): Promise<void> {
    let seen: string | undefined;
    while (!signal.aborted) {
      const loaded = await this.policy.current(0);
      if (seen !== undefined && loaded.version !== seen) {
        this.log.info('local policy changed; reconciling every profile', { policy: this.policy.source, valid: loaded.ok });
        for (const p of this.profiles()) this.queue.add(`${p.metadata.namespace}/${p.metadata.name}`);
      }
      if (seen === undefined) this.log.info(loaded.ok ? 'local policy' : 'local policy unusable: every profile is refused', loaded.ok ? { policy: loaded.policy.source ?? 'default (no ConfigMap)', podSecurity: loaded.policy.podSecurity, adoptExisting: loaded.policy.adoptExisting } : { error: loaded.message });
      seen = loaded.version;
      await delay(POLICY_POLL_MS, signal);
    }
  }

  private onScale(key: string, profile: ClusterProfile, policy: ScalingPolicy, status: ScalingStatus): void {
    if (status.lastDecisionTime && (status.lastDecision === 'ScaledUp' || status.lastDecision === 'ScaledDown') && status.reason?.includes('scaled')) {
      this.reporter.event(profile, 'Normal', status.lastDecision, `Scaling policy "${policy.name}": ${status.reason}.`);
      // The new count goes out now; the reconcile queued below applies the same value with the
      // rest of the profile and writes the status. If this write fails, the reconcile still does it.
      if (status.desired !== status.current) {
        void this.scaler.writeReplicas(policy.target, status.desired).catch((err: unknown) =>
          this.log.warn('immediate replica write failed; the reconcile applies it', { profile: key, policy: policy.name, err }),
        );
      }
    }
    this.queue.add(key);
  }

  /**
   * Graceful shutdown within SHUTDOWN_BUDGET_MS: stop taking work, cancel running reconciles
   * before their next request (each is idempotent: the next leader, or this agent restarted,
   * finishes the job) and give them a moment, then write the last events and hand over the Lease
   * together, each bounded, so a standby takes over at once instead of waiting out the lease.
   */
  async stop(budgetMs = SHUTDOWN_BUDGET_MS): Promise<void> {
    const deadline = Date.now() + budgetMs;
    this.stopController.abort(new Error('the agent is stopping'));
    this.queue.shutdown();
    this.profileInformer?.stop();
    this.agentInformer?.stop();
    for (const informer of this.kindInformers.values()) void informer.then((i) => i.stop(), () => undefined);
    await Promise.race([Promise.all(this.workers), delay(budgetMs * 0.3)]);
    if (this.leader) {
      const handOver = Promise.all([this.reporter.stop(), this.elector?.release()]);
      await Promise.race([handOver, delay(Math.max(0, deadline - Date.now()))]);
    }
    this.leader = false;
    this.finish('stopped');
  }
}
