// Namespace lifecycle (pkg/controller/namespace): a namespace being deleted is Terminating; its
// content is deleted, and once nothing is left the `kubernetes` finalizer is removed and the
// namespace goes. Conditions report what remains, as NamespaceContentRemaining does.
import type { Registry } from '../apiserver/registry.js';
import { SimError } from '../store/status.js';
import type { WatchEvent } from '../store/store.js';
import { RESOURCE_TYPES, nowTimestamp, type KObject, type ResourceType } from '../store/types.js';

export class NamespaceController {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly registry: Registry) {}

  observe(type: ResourceType, event: WatchEvent): void {
    if (type.kind === 'Namespace' && event.type === 'MODIFIED' && event.object.metadata.deletionTimestamp) this.sync(event.object.metadata.name);
    else if (type.namespaced && event.type === 'DELETED') {
      const ns = this.registry.store.tryGet(this.nsType, undefined, event.object.metadata.namespace);
      if (ns?.metadata.deletionTimestamp) this.sync(ns.metadata.name);
    }
  }

  private get nsType(): ResourceType {
    return RESOURCE_TYPES.find((t) => t.kind === 'Namespace')!;
  }

  private sync(name: string): void {
    let remaining = 0;
    for (const t of RESOURCE_TYPES.filter((r) => r.namespaced && !r.createOnly)) {
      for (const o of this.registry.store.list(t, name)) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        try {
          this.registry.delete(t, name, o.metadata.name, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!(err instanceof SimError && err.code === 404)) throw err;
        }
      }
    }
    const left = RESOURCE_TYPES.filter((r) => r.namespaced && !r.createOnly).reduce((n, t) => n + this.registry.store.list(t, name).length, 0);
    this.registry.mutate(this.nsType, undefined, name, (ns: KObject) => {
      const condition = {
        type: 'NamespaceContentRemaining',
        status: left ? 'True' : 'False',
        reason: left ? 'SomeResourcesRemain' : 'ContentDeleted',
        message: left ? `Some resources are remaining: ${left} objects` : 'All content successfully removed',
        lastTransitionTime: nowTimestamp(),
      };
      const others = ((ns.status?.conditions ?? []) as KObject[]).filter((c) => c.type !== condition.type);
      ns.status = { ...(ns.status ?? {}), phase: 'Terminating', conditions: [...others, condition] };
      if (!left) {
        ns.spec = { ...(ns.spec ?? {}), finalizers: [] };
      }
    });
    if (!left) {
      const ns = this.registry.store.tryGet(this.nsType, undefined, name);
      if (ns && !(ns.metadata.finalizers ?? []).length) this.registry.store.remove(this.nsType, undefined, name);
    } else if (remaining) {
      // Pods wait for their kubelet; look again shortly, as the controller's resync does.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.registry.store.tryGet(this.nsType, undefined, name)) this.sync(name);
      }, 200);
      this.timers.add(timer);
    }
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}
