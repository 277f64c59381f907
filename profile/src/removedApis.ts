/**
 * APIs Kubernetes has removed, by release: facts from the Kubernetes deprecation guide
 * (https://kubernetes.io/docs/reference/using-api/deprecation-guide/). A manifest using one of
 * them cannot be applied to a cluster of that release or later; `replacement` is the API to use
 * instead (undefined where the guide names none).
 */
export interface RemovedApi {
  apiVersion: string;
  kind: string;
  /** The first Kubernetes minor release that no longer serves it, e.g. "1.25". */
  removedIn: string;
  replacement?: string;
  /** What changes besides apiVersion when moving to the replacement, in a few words. */
  note?: string;
}

const table: [removedIn: string, apiVersions: string[], kinds: string[], replacement: string | undefined, note?: string][] = [
  ['1.16', ['extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2'], ['Deployment', 'ReplicaSet'], 'apps/v1', 'spec.selector is required'],
  ['1.16', ['extensions/v1beta1', 'apps/v1beta2'], ['DaemonSet'], 'apps/v1', 'spec.selector is required'],
  ['1.16', ['apps/v1beta1', 'apps/v1beta2'], ['StatefulSet'], 'apps/v1', 'spec.selector is required'],
  ['1.16', ['extensions/v1beta1'], ['NetworkPolicy'], 'networking.k8s.io/v1'],
  ['1.16', ['extensions/v1beta1'], ['PodSecurityPolicy'], undefined, 'use Pod Security Admission'],
  ['1.22', ['admissionregistration.k8s.io/v1beta1'], ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], 'admissionregistration.k8s.io/v1', 'webhooks[].admissionReviewVersions and sideEffects are required'],
  ['1.22', ['apiextensions.k8s.io/v1beta1'], ['CustomResourceDefinition'], 'apiextensions.k8s.io/v1', 'the schema moves to spec.versions[].schema.openAPIV3Schema'],
  ['1.22', ['apiregistration.k8s.io/v1beta1'], ['APIService'], 'apiregistration.k8s.io/v1'],
  ['1.22', ['authentication.k8s.io/v1beta1'], ['TokenReview'], 'authentication.k8s.io/v1'],
  ['1.22', ['authorization.k8s.io/v1beta1'], ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview'], 'authorization.k8s.io/v1', 'spec.group is renamed spec.groups'],
  ['1.22', ['certificates.k8s.io/v1beta1'], ['CertificateSigningRequest'], 'certificates.k8s.io/v1', 'spec.signerName is required'],
  ['1.22', ['coordination.k8s.io/v1beta1'], ['Lease'], 'coordination.k8s.io/v1'],
  ['1.22', ['extensions/v1beta1', 'networking.k8s.io/v1beta1'], ['Ingress'], 'networking.k8s.io/v1', 'backend.serviceName/servicePort become backend.service.name/port.number, and pathType is required'],
  ['1.22', ['networking.k8s.io/v1beta1'], ['IngressClass'], 'networking.k8s.io/v1'],
  ['1.22', ['rbac.authorization.k8s.io/v1beta1'], ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], 'rbac.authorization.k8s.io/v1'],
  ['1.22', ['scheduling.k8s.io/v1beta1'], ['PriorityClass'], 'scheduling.k8s.io/v1'],
  ['1.22', ['storage.k8s.io/v1beta1'], ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], 'storage.k8s.io/v1'],
  ['1.25', ['batch/v1beta1'], ['CronJob'], 'batch/v1'],
  ['1.25', ['discovery.k8s.io/v1beta1'], ['EndpointSlice'], 'discovery.k8s.io/v1', 'endpoints[].topology becomes nodeName and zone'],
  ['1.25', ['events.k8s.io/v1beta1'], ['Event'], 'events.k8s.io/v1'],
  ['1.25', ['autoscaling/v2beta1'], ['HorizontalPodAutoscaler'], 'autoscaling/v2', 'targetAverageUtilization becomes target.averageUtilization'],
  ['1.25', ['policy/v1beta1'], ['PodDisruptionBudget'], 'policy/v1', 'an empty spec.selector selects every pod of the namespace'],
  ['1.25', ['policy/v1beta1'], ['PodSecurityPolicy'], undefined, 'use Pod Security Admission'],
  ['1.25', ['node.k8s.io/v1beta1'], ['RuntimeClass'], 'node.k8s.io/v1'],
  ['1.26', ['flowcontrol.apiserver.k8s.io/v1beta1'], ['FlowSchema', 'PriorityLevelConfiguration'], 'flowcontrol.apiserver.k8s.io/v1'],
  ['1.26', ['autoscaling/v2beta2'], ['HorizontalPodAutoscaler'], 'autoscaling/v2'],
  ['1.27', ['storage.k8s.io/v1beta1'], ['CSIStorageCapacity'], 'storage.k8s.io/v1'],
  ['1.29', ['flowcontrol.apiserver.k8s.io/v1beta2'], ['FlowSchema', 'PriorityLevelConfiguration'], 'flowcontrol.apiserver.k8s.io/v1'],
  ['1.32', ['flowcontrol.apiserver.k8s.io/v1beta3'], ['FlowSchema', 'PriorityLevelConfiguration'], 'flowcontrol.apiserver.k8s.io/v1'],
];

export const REMOVED_APIS: readonly RemovedApi[] = table.flatMap(([removedIn, apiVersions, kinds, replacement, note]) =>
  apiVersions.flatMap((apiVersion) => kinds.map((kind) => ({ apiVersion, kind, removedIn, ...(replacement ? { replacement } : {}), ...(note ? { note } : {}) }))),
);

const byKey = new Map(REMOVED_APIS.map((api) => [`${api.apiVersion}/${api.kind}`, api]));

/** The removal of `apiVersion` `kind`, if Kubernetes removed it (in any release). */
export function removedApi(apiVersion: string, kind: string): RemovedApi | undefined {
  return byKey.get(`${apiVersion}/${kind}`);
}

/** "1.25" or "v1.25.4" → [1, 25]; undefined when it is no Kubernetes version. */
export function parseKubeVersion(text: string): [major: number, minor: number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Whether Kubernetes `version` (e.g. "1.36" or "v1.24.3") no longer serves an API removed in `removedIn`. */
export function isRemovedBy(removedIn: string, version: string): boolean {
  const removed = parseKubeVersion(removedIn);
  const target = parseKubeVersion(version);
  if (!removed || !target) return false;
  return target[0] > removed[0] || (target[0] === removed[0] && target[1] >= removed[1]);
}
