// The garbage collector (pkg/controller/garbagecollector), asynchronous as in a cluster:
// - an owner that is gone (DELETED) gets its dependents deleted in the background;
// - an owner with the `orphan` finalizer gets its dependents' ownerReferences removed, then the
//   finalizer;
// - an owner with the `foregroundDeletion` finalizer waits until its blocking dependents are gone
//   (they are deleted foreground too), then loses the finalizer and is removed.
import type { Registry } from '../apiserver/registry.js';
import { SimError } from '../store/status.js';
import type { WatchEvent } from '../store/store.js';
import type { KObject, ResourceType } from '../store/types.js';

export class GarbageCollector {
  constructor(private readonly registry: Registry) {}

  private dependentsOf(uid: string): { type: ResourceType; object: KObject }[] {
    return [...this.registry.store.all()].filter(({ object }) => ((object.metadata.ownerReferences ?? []) as KObject[]).some((r) => r.uid === uid));
  }

  private tryDelete(type: ResourceType, o: KObject, policy: 'Background' | 'Foreground'): void {
    try {
      if (o.metadata.deletionTimestamp && policy === 'Background') return;
      this.registry.delete(type, o.metadata.namespace, o.metadata.name, { propagationPolicy: policy, preconditions: { uid: o.metadata.uid } });
    } catch (err) {
      if (!(err instanceof SimError && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  observe(type: ResourceType, event: WatchEvent): void {
    const o = event.object;
    const uid = o.metadata.uid as string;
    if (event.type === 'DELETED') {
      for (const d of this.dependentsOf(uid)) {
        // A dependent with another owner that still exists stays (it loses only this reference).
        const refs = (d.object.metadata.ownerReferences ?? []) as KObject[];
        const others = refs.filter((r) => r.uid !== uid && this.ownerExists(r, d.object.metadata.namespace));
        if (others.length) {
          this.registry.mutate(d.type, d.object.metadata.namespace, d.object.metadata.name, (x) => {
            x.metadata.ownerReferences = (x.metadata.ownerReferences as KObject[]).filter((r) => r.uid !== uid);
          });
        } else this.tryDelete(d.type, d.object, 'Background');
      }
      this.recheckForegroundOwners(o);
      return;
    }
    const finalizers = (o.metadata.finalizers ?? []) as string[];
    if (!o.metadata.deletionTimestamp) return;
    if (finalizers.includes('orphan')) {
      for (const d of this.dependentsOf(uid)) {
        this.registry.mutate(d.type, d.object.metadata.namespace, d.object.metadata.name, (x) => {
          x.metadata.ownerReferences = (x.metadata.ownerReferences as KObject[]).filter((r) => r.uid !== uid);
          if (!x.metadata.ownerReferences.length) delete x.metadata.ownerReferences;
        });
      }
      this.dropFinalizer(type, o, 'orphan');
    } else if (finalizers.includes('foregroundDeletion')) {
      const blocking = this.dependentsOf(uid);
      for (const d of blocking) this.tryDelete(d.type, d.object, 'Foreground');
      if (this.dependentsOf(uid).length === 0) this.dropFinalizer(type, o, 'foregroundDeletion');
    }
    if (event.type === 'MODIFIED') this.recheckForegroundOwners(o);
  }

  private ownerExists(ref: KObject, namespace: string | undefined): boolean {
    return [...this.registry.store.all()].some(({ object }) => object.metadata.uid === ref.uid && (!object.metadata.namespace || object.metadata.namespace === namespace));
  }

  /** When a dependent goes (or changes), its foreground-deleting owners may now be done. */
  private recheckForegroundOwners(dependent: KObject): void {
    for (const ref of (dependent.metadata.ownerReferences ?? []) as KObject[]) {
      for (const { type, object } of this.registry.store.all()) {
        if (object.metadata.uid !== ref.uid || !object.metadata.deletionTimestamp) continue;
        if (((object.metadata.finalizers ?? []) as string[]).includes('foregroundDeletion') && this.dependentsOf(ref.uid).length === 0) this.dropFinalizer(type, object, 'foregroundDeletion');
      }
    }
  }

  private dropFinalizer(type: ResourceType, o: KObject, finalizer: string): void {
    this.registry.mutate(
      type,
      o.metadata.namespace,
      o.metadata.name,
      (x) => {
        x.metadata.finalizers = ((x.metadata.finalizers ?? []) as string[]).filter((f) => f !== finalizer);
        if (!x.metadata.finalizers.length) delete x.metadata.finalizers;
      },
      o.metadata.uid,
    );
  }
}
