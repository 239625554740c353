// Server-side printing: `kubectl get` asks for meta.k8s.io Table and prints its rows as they come.
import type { KObject, ResourceType } from '../store/types.js';

function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}

function podStatus(p: KObject): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  const statuses = [...((p.status?.initContainerStatuses ?? []) as KObject[]), ...((p.status?.containerStatuses ?? []) as KObject[])];
  for (const s of statuses) {
    if (s.state?.waiting?.reason && !['PodInitializing', 'ContainerCreating'].includes(s.state.waiting.reason)) return s.state.waiting.reason;
    if (s.state?.terminated?.reason && p.status?.phase !== 'Succeeded' && s.state.terminated.exitCode !== 0) return s.state.terminated.reason;
  }
  return p.status?.reason ?? statuses.find((s) => s.state?.waiting)?.state.waiting.reason ?? p.status?.phase ?? 'Pending';
}

const COLUMNS: Record<string, { names: string[]; cells: (o: KObject) => unknown[] }> = {
  Pod: {
    names: ['Ready', 'Status', 'Restarts'],
    cells: (p) => {
      const cs = (p.status?.containerStatuses ?? []) as KObject[];
      return [`${cs.filter((c) => c.ready).length}/${(p.spec?.containers ?? []).length}`, podStatus(p), cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)];
    },
  },
  Deployment: {
    names: ['Ready', 'Up-to-date', 'Available'],
    cells: (d) => [`${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0],
  },
  ReplicaSet: { names: ['Desired', 'Current', 'Ready'], cells: (r) => [r.spec?.replicas ?? 0, r.status?.replicas ?? 0, r.status?.readyReplicas ?? 0] },
  Secret: { names: ['Type', 'Data'], cells: (s) => [s.type, Object.keys(s.data ?? {}).length] },
  ConfigMap: { names: ['Data'], cells: (c) => [Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length] },
  Namespace: { names: ['Status'], cells: (n) => [n.status?.phase] },
  Service: { names: ['Type', 'Cluster-IP', 'Port(s)'], cells: (s) => [s.spec?.type, s.spec?.clusterIP, ((s.spec?.ports ?? []) as KObject[]).map((p) => `${p.port}/${p.protocol}`).join(',')] },
  PersistentVolumeClaim: { names: ['Status', 'Capacity'], cells: (c) => [c.status?.phase, c.status?.capacity?.storage ?? ''] },
};

/** Whether the Accept header asks for a Table (kubectl get's `as=Table;g=meta.k8s.io`). */
export const wantsTable = (accept: string | undefined): boolean => !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);

export function toTable(type: ResourceType, items: KObject[], listMeta: KObject): KObject {
  const extra = COLUMNS[type.kind] ?? { names: [], cells: () => [] };
  const col = (name: string, t = 'string'): KObject => ({ name, type: t, format: name === 'Name' ? 'name' : '', description: name, priority: 0 });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: [col('Name'), ...extra.names.map((n) => col(n)), col('Age')],
    rows: items.map((o) => ({
      cells: [o.metadata.name, ...extra.cells(o), age(o.metadata.creationTimestamp)],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
