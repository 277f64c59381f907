/**
 * Pod Security "baseline" (profile/src/podSecurity.ts) finds each of its rules on its own, in
 * every place a pod template can hold it. podSecurityProblems first asks whether a template sets
 * any field baseline reads, and returns [] when none: a rule whose field that question missed
 * would go unreported, and one case here would fail.
 */
import assert from 'node:assert/strict';
import { podSecurityProblems } from '@kplane/profile';

const deployment = (podSpec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: { template: { ...(annotations ? { metadata: { annotations } } : {}), spec: podSpec } },
});

const web = { name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] };
const withContainer = (extra: Record<string, unknown>, field = 'containers') => ({ containers: [web], [field]: [{ ...web, name: 'c', ...extra }] });

describe('Pod Security baseline', () => {
  const cases: [string, Record<string, unknown>, string, Record<string, string>?][] = [
    ['hostNetwork', { containers: [web], hostNetwork: true }, 'spec.template.spec.hostNetwork is true'],
    ['hostPID', { containers: [web], hostPID: true }, 'spec.template.spec.hostPID is true'],
    ['hostIPC', { containers: [web], hostIPC: true }, 'spec.template.spec.hostIPC is true'],
    ['pod hostProcess', { containers: [web], securityContext: { windowsOptions: { hostProcess: true } } }, 'spec.template.spec.securityContext.windowsOptions.hostProcess is true'],
    ['hostPath volume', { containers: [web], volumes: [{ name: 'v', emptyDir: {} }, { name: 'root', hostPath: { path: '/' } }] }, 'spec.template.spec.volumes[root] is a hostPath volume (/)'],
    ['sysctl', { containers: [web], securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }, 'spec.template.spec.securityContext.sysctls sets kernel.msgmax (not a safe sysctl)'],
    ['pod seLinux', { containers: [web], securityContext: { seLinuxOptions: { user: 'root' } } }, 'spec.template.spec.securityContext.seLinuxOptions.user is set'],
    ['pod seccomp', { containers: [web], securityContext: { seccompProfile: { type: 'Unconfined' } } }, 'spec.template.spec.securityContext.seccompProfile.type is Unconfined'],
    ['pod AppArmor', { containers: [web], securityContext: { appArmorProfile: { type: 'Unconfined' } } }, 'spec.template.spec.securityContext.appArmorProfile.type is Unconfined'],
    ['AppArmor annotation', { containers: [web] }, 'annotation container.apparmor.security.beta.kubernetes.io/web is unconfined', { 'container.apparmor.security.beta.kubernetes.io/web': 'unconfined' }],
    ['privileged', withContainer({ securityContext: { privileged: true } }), 'spec.template.spec.containers[c].securityContext.privileged is true'],
    ['capabilities', withContainer({ securityContext: { capabilities: { add: ['NET_ADMIN'] } } }), 'spec.template.spec.containers[c].securityContext.capabilities.add has NET_ADMIN'],
    ['hostPort', withContainer({ ports: [{ containerPort: 80 }, { containerPort: 22, hostPort: 22 }] }), 'spec.template.spec.containers[c].ports uses hostPort 22'],
    ['procMount', withContainer({ securityContext: { procMount: 'Unmasked' } }), 'spec.template.spec.containers[c].securityContext.procMount is Unmasked'],
    ['container hostProcess', withContainer({ securityContext: { windowsOptions: { hostProcess: true } } }), 'spec.template.spec.containers[c].securityContext.windowsOptions.hostProcess is true'],
    ['container seLinux', withContainer({ securityContext: { seLinuxOptions: { type: 'spc_t' } } }), 'spec.template.spec.containers[c].securityContext.seLinuxOptions.type is spc_t'],
    ['container seccomp', withContainer({ securityContext: { seccompProfile: { type: 'Unconfined' } } }), 'spec.template.spec.containers[c].securityContext.seccompProfile.type is Unconfined'],
    ['container AppArmor', withContainer({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }), 'spec.template.spec.containers[c].securityContext.appArmorProfile.type is Unconfined'],
    ['init container', withContainer({ securityContext: { privileged: true } }, 'initContainers'), 'spec.template.spec.initContainers[c].securityContext.privileged is true'],
    ['ephemeral container', withContainer({ securityContext: { privileged: true } }, 'ephemeralContainers'), 'spec.template.spec.ephemeralContainers[c].securityContext.privileged is true'],
  ];
  for (const [name, podSpec, problem, annotations] of cases) {
    it(`finds ${name} alone`, () => {
      assert.deepEqual(podSecurityProblems(deployment(podSpec, annotations), 'baseline'), [problem]);
    });
  }

  it('finds nothing in templates that set no field baseline reads, or set them harmlessly', () => {
    assert.deepEqual(podSecurityProblems(deployment({ containers: [web] }), 'baseline'), []);
    assert.deepEqual(podSecurityProblems(deployment({ containers: [web], volumes: [{ name: 'v', emptyDir: {} }] }, { 'example.com/a': 'b' }), 'baseline'), []);
    assert.deepEqual(podSecurityProblems(deployment({ containers: [{ ...web, securityContext: { runAsNonRoot: true } }], securityContext: { runAsUser: 1000 }, hostNetwork: false }), 'baseline'), []);
    // A Pod's own annotations are its template's.
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'container.apparmor.security.beta.kubernetes.io/web': 'unconfined' } }, spec: { containers: [web] } };
    assert.deepEqual(podSecurityProblems(pod, 'baseline'), ['annotation container.apparmor.security.beta.kubernetes.io/web is unconfined']);
  });
});
