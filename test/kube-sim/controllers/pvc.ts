// A stand-in for the default StorageClass's provisioner: a claim is Bound at once with the
// capacity it asked for (the kubelet gives each claim a host directory).
import type { Registry } from '../apiserver/registry.js';
import type { WatchEvent } from '../store/store.js';
import type { ResourceType } from '../store/types.js';

export class PvcBinder {
  constructor(private readonly registry: Registry) {}

  observe(type: ResourceType, event: WatchEvent): void {
    if (type.kind !== 'PersistentVolumeClaim' || event.type !== 'ADDED') return;
    const o = event.object;
    this.registry.mutate(
      type,
      o.metadata.namespace,
      o.metadata.name,
      (pvc) => {
        pvc.spec.volumeName = `pvc-${pvc.metadata.uid}`;
        pvc.status = { phase: 'Bound', accessModes: pvc.spec.accessModes, capacity: { storage: pvc.spec.resources?.requests?.storage } };
      },
      o.metadata.uid,
    );
  }
}
