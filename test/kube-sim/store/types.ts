// The resource types the simulator serves: group, version, plural, kind, scope, short names and
// the client-node model that describes their fields (used by decode and OpenAPI).

export type KObject = Record<string, any>;

export interface ResourceType {
  group: string;
  version: string;
  /** plural, lower case, e.g. `pods` */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** client-node model class name, e.g. `V1Pod` */
  model: string;
  shortNames?: string[];
  /** The subresources served (`status`, `log`, `exec`, `scale`). */
  subresources?: string[];
  /** Creation-only resources (reviews) are not stored and have no get/list. */
  createOnly?: boolean;
}

export const RESOURCE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, model: 'V1Namespace', shortNames: ['ns'], subresources: ['status', 'finalize'] },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, model: 'V1Pod', shortNames: ['po'], subresources: ['status', 'log', 'exec', 'attach'] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, model: 'V1Secret' },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, model: 'V1ConfigMap', shortNames: ['cm'] },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, model: 'V1ServiceAccount', shortNames: ['sa'] },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, model: 'V1Service', shortNames: ['svc'], subresources: ['status'] },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, model: 'V1PersistentVolumeClaim', shortNames: ['pvc'], subresources: ['status'] },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, model: 'CoreV1Event', shortNames: ['ev'] },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, model: 'V1Deployment', shortNames: ['deploy'], subresources: ['status', 'scale'] },
  { group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, model: 'V1ReplicaSet', shortNames: ['rs'], subresources: ['status', 'scale'] },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, model: 'V1SelfSubjectAccessReview', createOnly: true },
];

export const GROUP_VERSIONS = [...new Set(RESOURCE_TYPES.map((t) => (t.group ? `${t.group}/${t.version}` : t.version)))];

export const apiVersionOf = (t: ResourceType): string => (t.group ? `${t.group}/${t.version}` : t.version);

export function findResourceType(group: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.resource === resource);
}

export function resourceByKind(kind: string): ResourceType {
  const t = RESOURCE_TYPES.find((r) => r.kind === kind);
  if (!t) throw new Error(`unknown kind ${kind}`);
  return t;
}

export const nowTimestamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
