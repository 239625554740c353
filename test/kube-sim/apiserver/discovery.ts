// Discovery and version documents: /version, /api, /apis, /api/v1, /apis/<group>/<version>, in
// the shapes kubectl's discovery client reads (legacy, unaggregated discovery).
import { GROUP_VERSIONS, RESOURCE_TYPES, apiVersionOf, type ResourceType } from '../store/types.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kube-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => t.group))].map((name) => {
    const versions = GROUP_VERSIONS.filter((gv) => gv.startsWith(`${name}/`)).map((gv) => ({ groupVersion: gv, version: gv.split('/')[1]! }));
    return { name, versions, preferredVersion: versions[0] };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(group: string): Record<string, unknown> | undefined {
  const versions = GROUP_VERSIONS.filter((gv) => gv.startsWith(`${group}/`)).map((gv) => ({ groupVersion: gv, version: gv.split('/')[1]! }));
  if (!versions.length) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

const STORED_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourcesOf(t: ResourceType): Record<string, unknown>[] {
  const singularName = t.kind.toLowerCase();
  const main = {
    name: t.resource,
    singularName,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: t.createOnly ? ['create'] : t.kind === 'Namespace' ? STORED_VERBS.filter((v) => v !== 'deletecollection') : STORED_VERBS,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(['Pod', 'Deployment', 'ReplicaSet', 'Service'].includes(t.kind) ? { categories: ['all'] } : {}),
    storageVersionHash: Buffer.from(`${t.group}/${t.kind}`).toString('base64').slice(0, 11),
  };
  const subs = (t.subresources ?? []).map((s) => {
    const verbs = s === 'status' || s === 'scale' ? ['get', 'patch', 'update'] : s === 'log' ? ['get'] : s === 'finalize' ? ['update'] : ['create', 'get'];
    const kind = s === 'scale' ? 'Scale' : s === 'exec' ? 'PodExecOptions' : s === 'attach' ? 'PodAttachOptions' : s === 'log' ? 'Pod' : t.kind;
    return { name: `${t.resource}/${s}`, singularName: '', namespaced: t.namespaced, kind, verbs, ...(s === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}) };
  });
  return [main, ...subs];
}

export function apiResourceList(groupVersion: string): Record<string, unknown> | undefined {
  if (!GROUP_VERSIONS.includes(groupVersion)) return undefined;
  const resources = RESOURCE_TYPES.filter((t) => apiVersionOf(t) === groupVersion).flatMap(resourcesOf);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
