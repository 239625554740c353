// Deployments, ReplicaSets, PersistentVolumeClaims and the pods behind them: the calls
// environments make, through the one KubeClient (retries, readable errors, resumable watches).
import type { V1Deployment, V1OwnerReference, V1PersistentVolumeClaim, V1Pod, V1ReplicaSet, V1Secret } from '@kubernetes/client-node';
import { KubeError } from './errors.js';
import { sleep } from './retry.js';
import type { KubeClient } from './client.js';
import { applyEnvironmentSecret } from './secrets.js';

function isNotFound(err: unknown): boolean {
  return err instanceof KubeError && err.status === 404;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export class Workloads {
  constructor(private readonly kube: KubeClient) {}

  // ---- Deployments ----

  findDeployment(namespace: string, name: string): Promise<V1Deployment | undefined> {
    return orUndefined(this.kube.call(`reading deployment ${namespace}/${name}`, () => this.kube.apps.readNamespacedDeployment({ namespace, name })));
  }

  /**
   * Creates the Deployment, or replaces the existing one's spec, labels and annotations (the
   * read-modify-write is retried on a 409 Conflict: someone else wrote in between).
   */
  async applyDeployment(body: V1Deployment): Promise<{ deployment: V1Deployment; created: boolean }> {
    const namespace = body.metadata!.namespace!;
    const name = body.metadata!.name!;
    for (let attempt = 1; ; attempt++) {
      const current = await this.findDeployment(namespace, name);
      try {
        if (!current) {
          const deployment = await this.kube.call(`creating deployment ${namespace}/${name}`, () => this.kube.apps.createNamespacedDeployment({ namespace, body }));
          return { deployment, created: true };
        }
        const next: V1Deployment = {
          ...body,
          metadata: { ...body.metadata, resourceVersion: current.metadata!.resourceVersion, ...(current.metadata?.uid ? { uid: current.metadata.uid } : {}) },
        };
        const deployment = await this.kube.call(`replacing deployment ${namespace}/${name}`, () => this.kube.apps.replaceNamespacedDeployment({ namespace, name, body: next }));
        return { deployment, created: false };
      } catch (err) {
        if (err instanceof KubeError && err.status === 409 && attempt < 5) continue;
        throw err;
      }
    }
  }

  /** Deletes the Deployment; its ReplicaSets and pods (and owned Secrets) go with it. False if it was not there. */
  async deleteDeployment(namespace: string, name: string): Promise<boolean> {
    try {
      await this.kube.call(`deleting deployment ${namespace}/${name}`, () => this.kube.apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: 'Foreground' }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Waits until the Deployment is gone (foreground deletion removes its pods first). */
  async waitForDeploymentGone(namespace: string, name: string, timeoutMs = 60000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.findDeployment(namespace, name))) return true;
      await sleep(200);
    }
    return false;
  }

  /**
   * Watches one Deployment until `decide` returns a value (resumes after drops, relists after
   * 410). `decide` also runs on each tick of `pollMs`, for what changes in pods, not in the Deployment.
   */
  async watchDeployment<T>(namespace: string, name: string, decide: (d: V1Deployment) => T | undefined | Promise<T | undefined>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    let latest: V1Deployment | undefined;
    const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Infinity;
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason;
      latest = await this.findDeployment(namespace, name);
      if (!latest) throw new KubeError(`deployment ${namespace}/${name} was deleted`, 404, 'NotFound');
      const result = await decide(latest);
      if (result !== undefined) return result;
      if (Date.now() > deadline) throw new KubeError(`timed out after ${Math.round(options.timeoutMs! / 1000)} s waiting for deployment ${namespace}/${name}`);
      // A short watch wakes us at the next change of the Deployment; pods are re-read each time round.
      await this.kube
        .watchUntil<V1Deployment, true>({
          path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
          fieldSelector: `metadata.name=${name}`,
          list: async () => ({ items: [], resourceVersion: latest!.metadata?.resourceVersion }),
          decide: (d) => (d.metadata?.resourceVersion !== latest!.metadata?.resourceVersion ? true : undefined),
          onDeleted: () => true,
          what: `deployment ${namespace}/${name}`,
          timeoutMs: Math.max(1, Math.min(1000, deadline - Date.now())),
          ...(options.signal ? { signal: options.signal } : {}),
        })
        .catch((err: unknown) => {
          if (options.signal?.aborted) throw options.signal.reason;
          if (err instanceof KubeError && /timed out/.test(err.message)) return undefined;
          throw err;
        });
    }
  }

  // ---- ReplicaSets and pods ----

  async listReplicaSets(namespace: string, labelSelector: string): Promise<V1ReplicaSet[]> {
    return (await this.kube.call(`listing replicasets in ${namespace}`, () => this.kube.apps.listNamespacedReplicaSet({ namespace, labelSelector }))).items;
  }

  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return this.kube.listPods(namespace, labelSelector);
  }

  logTail(namespace: string, pod: string, container: string, lines = 20): Promise<string> {
    return this.kube.logTail(namespace, pod, container, lines);
  }

  // ---- PersistentVolumeClaims ----

  /** Creates a claim unless one of that name exists (a claim's spec is mostly immutable: keep the disk). */
  async ensureClaim(body: V1PersistentVolumeClaim): Promise<'created' | 'kept'> {
    const namespace = body.metadata!.namespace!;
    const name = body.metadata!.name!;
    const existing = await orUndefined(this.kube.call(`reading claim ${namespace}/${name}`, () => this.kube.core.readNamespacedPersistentVolumeClaim({ namespace, name })));
    if (existing) return 'kept';
    try {
      await this.kube.call(`creating claim ${namespace}/${name}`, () => this.kube.core.createNamespacedPersistentVolumeClaim({ namespace, body }));
      return 'created';
    } catch (err) {
      if (err instanceof KubeError && err.status === 409) return 'kept';
      throw err;
    }
  }

  async listClaims(namespace: string, labelSelector: string): Promise<V1PersistentVolumeClaim[]> {
    return (await this.kube.call(`listing claims in ${namespace}`, () => this.kube.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }))).items;
  }

  async deleteClaim(namespace: string, name: string): Promise<void> {
    await orUndefined(this.kube.call(`deleting claim ${namespace}/${name}`, () => this.kube.core.deleteNamespacedPersistentVolumeClaim({ namespace, name })));
  }

  // ---- Secrets of an environment ----

  /** Creates or updates an environment's Secret in place (src/systems/kube/secrets.ts); values are never logged. */
  applySecret(body: V1Secret): Promise<'created' | 'updated' | 'unchanged'> {
    return applyEnvironmentSecret(this.kube, body);
  }

  /** Adds an owner reference to a Secret (so it goes with the Deployment), keeping the others. */
  async ownSecret(namespace: string, name: string, owner: V1OwnerReference): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.kube.findSecret(namespace, name);
      if (!current) return;
      const refs = current.metadata?.ownerReferences ?? [];
      if (refs.some((r) => r.uid === owner.uid)) return;
      try {
        await this.kube.call(`owning secret ${namespace}/${name}`, () => this.kube.core.replaceNamespacedSecret({ namespace, name, body: { ...current, metadata: { ...current.metadata, ownerReferences: [...refs, owner] } } }));
        return;
      } catch (err) {
        if (err instanceof KubeError && err.status === 409 && attempt < 5) continue;
        throw err;
      }
    }
  }

  listSecrets(namespace: string, labelSelector: string): Promise<V1Secret[]> {
    return this.kube.listSecrets(namespace, labelSelector);
  }

  deleteSecret(namespace: string, name: string): Promise<void> {
    return this.kube.deleteSecret(namespace, name);
  }
}
