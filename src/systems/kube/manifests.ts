// Pure Kubernetes manifest builders (data in, data out) shared by the builders.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';

/** An owner reference to a pod, so the garbage collector removes dependents with it. */
export function podOwnerReference(pod: { name: string; uid: string }): V1OwnerReference {
  return { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid, blockOwnerDeletion: false, controller: false };
}

/** A `kubernetes.io/dockerconfigjson` Secret holding a docker config.json. */
export function dockerConfigSecret(input: { name: string; namespace: string; labels: Record<string, string>; dockerConfigJson: string; ownerReferences?: V1OwnerReference[] }): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: input.labels,
      ...(input.ownerReferences?.length ? { ownerReferences: input.ownerReferences } : {}),
    },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(input.dockerConfigJson, 'utf8').toString('base64') },
  };
}

/** A copy of an object for printing: secret data replaced by a placeholder. */
export function redactSecretData<T extends { kind?: string; data?: Record<string, string> }>(obj: T): T {
  if (obj.kind !== 'Secret' || !obj.data) return obj;
  return { ...obj, data: Object.fromEntries(Object.keys(obj.data).map((k) => [k, '<redacted>'])) };
}
