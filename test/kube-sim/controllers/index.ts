// The controller manager: garbage collector, namespace lifecycle, Deployment and ReplicaSet
// controllers and a PVC binder, each reacting to store events asynchronously (as informers do).
import type { Registry } from '../apiserver/registry.js';
import type { ResourceType } from '../store/types.js';
import type { WatchEvent } from '../store/store.js';
import { GarbageCollector } from './gc.js';
import { NamespaceController } from './namespace.js';
import { DeploymentController, ReplicaSetController } from './deployment.js';
import { PvcBinder } from './pvc.js';

export interface Controller {
  /** Called (asynchronously, after the write) for every store event. */
  observe(type: ResourceType, event: WatchEvent): void;
  stop?(): void;
}

export class Controllers {
  readonly gc: GarbageCollector;
  readonly namespaces: NamespaceController;
  readonly deployments: DeploymentController;
  readonly replicaSets: ReplicaSetController;
  private readonly all: Controller[];
  private stopped = false;

  constructor(registry: Registry) {
    this.gc = new GarbageCollector(registry);
    this.namespaces = new NamespaceController(registry);
    this.deployments = new DeploymentController(registry);
    this.replicaSets = new ReplicaSetController(registry);
    this.all = [this.gc, this.namespaces, this.deployments, this.replicaSets, new PvcBinder(registry)];
    registry.store.hooks.push((type, event) => {
      // Informers see events after the write returns: never inside the request that caused them.
      setImmediate(() => {
        if (this.stopped) return;
        for (const c of this.all) {
          try {
            c.observe(type, event);
          } catch (err) {
            process.stderr.write(`kube-sim controller error: ${(err as Error).stack}\n`);
          }
        }
      });
    });
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.all) c.stop?.();
  }
}
