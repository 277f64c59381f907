/**
 * Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards/) checked
 * on the pod templates of a manifest, as the PodSecurity admission plugin checks them
 * (k8s.io/pod-security-admission/policy, "latest" version): the agent's local policy refuses
 * what breaks the cluster's level, and `kplane validate` warns about what breaks baseline in
 * kube-system. Pure: any shape is accepted (a manifest may be anything), nothing throws.
 */

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const get = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((x, k) => (isObj(x) ? x[k] : undefined), v);

/** Where the pod spec of a kind lives (the workload kinds of the core and apps/batch groups). */
export function podSpecOf(manifest: unknown): { spec: Obj; path: string } | undefined {
  const kind = get(manifest, 'kind');
  const at = (path: string[]) => {
    const spec = get(manifest, ...path);
    return isObj(spec) ? { spec, path: path.join('.') } : undefined;
  };
  switch (kind) {
    case 'Pod':
      return at(['spec']);
    case 'PodTemplate':
      return at(['template', 'spec']);
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
    case 'ReplicationController':
      return at(['spec', 'template', 'spec']);
    case 'CronJob':
      return at(['spec', 'jobTemplate', 'spec', 'template', 'spec']);
    default:
      return undefined;
  }
}

// Baseline: capabilities a container may add (PSS "Capabilities" control).
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
// Baseline: the "safe" sysctls.
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
// Restricted: the volume types a pod may use.
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/**
 * Whether baseline has anything to look at: every rule of baseline reads one of these fields,
 * and most pod templates set none of them. Checking the template in full built strings and lists
 * per container, a fifth of checking the manifests of a profile of small Deployments
 * (--cpu-prof, bench:lsp); this reads a few fields and allocates nothing.
 */
function mayBreakBaseline(manifest: unknown, spec: Obj, path: string): boolean {
  if (spec.hostNetwork !== undefined || spec.hostPID !== undefined || spec.hostIPC !== undefined || spec.securityContext !== undefined) return true;
  for (const v of list(spec.volumes)) if (isObj(v) && v.hostPath !== undefined) return true;
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of list(spec[field])) {
      if (!isObj(c)) continue;
      if (c.securityContext !== undefined) return true;
      for (const port of list(c.ports)) if (isObj(port) && port.hostPort !== undefined) return true;
    }
  }
  // The pod template's annotations (AppArmor, before the field existed).
  const annotations = get(manifest, ...path.split('.').slice(0, -1), 'metadata', 'annotations');
  return isObj(annotations) && Object.keys(annotations).some((key) => key.startsWith('container.apparmor.security.beta.kubernetes.io/'));
}

/**
 * What in the manifest's pod template breaks `level`, one line per problem, each naming the
 * field ("spec.template.spec.containers[agent].securityContext.privileged is true"); [] when it
 * meets the level or has no pod template.
 */
export function podSecurityProblems(manifest: unknown, level: PodSecurityLevel): string[] {
  if (level === 'privileged') return [];
  const pod = podSpecOf(manifest);
  if (!pod) return [];
  const { spec, path } = pod;
  if (level === 'baseline' && !mayBreakBaseline(manifest, spec, path)) return [];
  const problems: string[] = [];
  const containers = [
    ...list(spec.initContainers).map((c) => ({ c, field: 'initContainers' })),
    ...list(spec.containers).map((c) => ({ c, field: 'containers' })),
    ...list(spec.ephemeralContainers).map((c) => ({ c, field: 'ephemeralContainers' })),
  ].filter((x): x is { c: Obj; field: string } => isObj(x.c));
  const at = (field: string, c: Obj) => `${path}.${field}[${typeof c.name === 'string' ? c.name : '?'}]`;
  const podSc = isObj(spec.securityContext) ? spec.securityContext : {};

  // Baseline.
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f] === true) problems.push(`${path}.${f} is true`);
  if (get(podSc, 'windowsOptions', 'hostProcess') === true) problems.push(`${path}.securityContext.windowsOptions.hostProcess is true`);
  for (const v of list(spec.volumes)) {
    if (isObj(v) && v.hostPath !== undefined) problems.push(`${path}.volumes[${String(v.name)}] is a hostPath volume (${String(get(v, 'hostPath', 'path') ?? '?')})`);
  }
  const sysctls = list(podSc.sysctls).filter(isObj).map((s) => String(s.name)).filter((n) => !SAFE_SYSCTLS.has(n));
  if (sysctls.length) problems.push(`${path}.securityContext.sysctls sets ${sysctls.join(', ')} (not a safe sysctl)`);
  const seLinux = (sc: unknown, where: string) => {
    const o = get(sc, 'seLinuxOptions');
    if (!isObj(o)) return;
    if (o.type !== undefined && !SELINUX_TYPES.has(String(o.type))) problems.push(`${where}.seLinuxOptions.type is ${String(o.type)}`);
    for (const f of ['user', 'role']) if (o[f] !== undefined && o[f] !== '') problems.push(`${where}.seLinuxOptions.${f} is set`);
  };
  const seccompType = (sc: unknown) => get(sc, 'seccompProfile', 'type');
  seLinux(podSc, `${path}.securityContext`);
  if (seccompType(podSc) === 'Unconfined') problems.push(`${path}.securityContext.seccompProfile.type is Unconfined`);
  const appArmor = (sc: unknown, where: string) => {
    const t = get(sc, 'appArmorProfile', 'type');
    if (t === 'Unconfined') problems.push(`${where}.appArmorProfile.type is Unconfined`);
  };
  appArmor(podSc, `${path}.securityContext`);
  for (const [key, value] of Object.entries((get(manifest, ...path.split('.').slice(0, -1), 'metadata', 'annotations') as Obj | undefined) ?? {})) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value === 'unconfined') problems.push(`annotation ${key} is unconfined`);
  }
  for (const { c, field } of containers) {
    const where = at(field, c);
    const sc = isObj(c.securityContext) ? c.securityContext : {};
    if (sc.privileged === true) problems.push(`${where}.securityContext.privileged is true`);
    const added = list(get(sc, 'capabilities', 'add')).map(String).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (added.length) problems.push(`${where}.securityContext.capabilities.add has ${added.join(', ')}`);
    const ports = list(c.ports).filter((p) => isObj(p) && typeof p.hostPort === 'number' && p.hostPort !== 0);
    if (ports.length) problems.push(`${where}.ports uses hostPort ${ports.map((p) => (p as Obj).hostPort).join(', ')}`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') problems.push(`${where}.securityContext.procMount is ${String(sc.procMount)}`);
    if (get(sc, 'windowsOptions', 'hostProcess') === true) problems.push(`${where}.securityContext.windowsOptions.hostProcess is true`);
    seLinux(sc, `${where}.securityContext`);
    if (seccompType(sc) === 'Unconfined') problems.push(`${where}.securityContext.seccompProfile.type is Unconfined`);
    appArmor(sc, `${where}.securityContext`);
  }
  if (level === 'baseline') return problems;

  // Restricted.
  for (const v of list(spec.volumes)) {
    if (!isObj(v)) continue;
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && type !== 'hostPath' && !RESTRICTED_VOLUMES.has(type)) problems.push(`${path}.volumes[${String(v.name)}] is a ${type} volume (restricted allows ${[...RESTRICTED_VOLUMES].join(', ')})`);
  }
  const podNonRoot = podSc.runAsNonRoot === true;
  const podSeccomp = seccompType(podSc);
  if (podSc.runAsUser === 0) problems.push(`${path}.securityContext.runAsUser is 0`);
  if (podSc.runAsNonRoot === false) problems.push(`${path}.securityContext.runAsNonRoot is false`);
  for (const { c, field } of containers) {
    const where = at(field, c);
    const sc = isObj(c.securityContext) ? c.securityContext : {};
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}.securityContext.allowPrivilegeEscalation is not false`);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && !podNonRoot)) problems.push(`${where}: runAsNonRoot is not true (set it on the container or the pod)`);
    if (sc.runAsUser === 0) problems.push(`${where}.securityContext.runAsUser is 0`);
    const seccomp = seccompType(sc) ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where}: seccompProfile.type is not RuntimeDefault or Localhost (set it on the container or the pod)`);
    const drop = list(get(sc, 'capabilities', 'drop')).map(String);
    if (!drop.includes('ALL')) problems.push(`${where}.securityContext.capabilities.drop does not have ALL`);
    const added = list(get(sc, 'capabilities', 'add')).map(String).filter((cap) => cap !== 'NET_BIND_SERVICE' && BASELINE_CAPABILITIES.has(cap));
    if (added.length) problems.push(`${where}.securityContext.capabilities.add has ${added.join(', ')} (restricted allows only NET_BIND_SERVICE)`);
  }
  return problems;
}
