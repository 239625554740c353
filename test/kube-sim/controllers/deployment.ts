// The Deployment and ReplicaSet controllers (pkg/controller/deployment, pkg/controller/replicaset):
// Deployments own ReplicaSets named <deployment>-<pod-template-hash>, which own pods. Rolling
// updates honour maxSurge / maxUnavailable, Recreate scales the old set to zero first; status
// carries observedGeneration, replicas, updated/ready/available/unavailableReplicas and the
// Available / Progressing conditions (with ProgressDeadlineExceeded), as `kubectl rollout status`
// and `kubectl wait` read them.
import { createHash } from 'node:crypto';
import type { Registry } from '../apiserver/registry.js';
import { SimError } from '../store/status.js';
import type { WatchEvent } from '../store/store.js';
import { nowTimestamp, resourceByKind, type KObject, type ResourceType } from '../store/types.js';
import { selectorMatches } from '../validation/meta.js';
import { recordEvent } from './events.js';

const POD = resourceByKind('Pod');
const RS = resourceByKind('ReplicaSet');
const DEPLOYMENT = resourceByKind('Deployment');
const RESYNC_MS = 250;

const controllerOf = (o: KObject): KObject | undefined => ((o.metadata.ownerReferences ?? []) as KObject[]).find((r) => r.controller);
const isReady = (p: KObject): boolean => ((p.status?.conditions ?? []) as KObject[]).some((c) => c.type === 'Ready' && c.status === 'True');
const readySince = (p: KObject): number => Date.parse(((p.status?.conditions ?? []) as KObject[]).find((c) => c.type === 'Ready')?.lastTransitionTime ?? '') || Date.now();
const isAvailable = (p: KObject, minReadySeconds: number): boolean => isReady(p) && Date.now() - readySince(p) >= minReadySeconds * 1000;
const alive = (p: KObject): boolean => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** ComputeHash: a short, stable hash of the pod template (the pod-template-hash label). */
export function podTemplateHash(template: KObject): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Debounced per-object syncs, with a periodic resync while something is still in progress. */
abstract class Reconciler {
  private readonly queued = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(protected readonly registry: Registry) {}

  protected enqueue(namespace: string, name: string, delayMs = 0): void {
    if (this.stopped) return;
    const key = `${namespace}/${name}`;
    if (this.queued.has(key)) return;
    const timer = setTimeout(() => {
      this.queued.delete(key);
      if (this.stopped) return;
      try {
        if (this.sync(namespace, name)) this.enqueue(namespace, name, RESYNC_MS);
      } catch (err) {
        if (err instanceof SimError && (err.code === 409 || err.code === 404)) this.enqueue(namespace, name, 20);
        else process.stderr.write(`kube-sim ${this.constructor.name}: ${(err as Error).stack}\n`);
      }
    }, delayMs);
    this.queued.set(key, timer);
  }

  /** Reconciles one object; returns true to be synced again shortly (work in progress). */
  protected abstract sync(namespace: string, name: string): boolean;

  stop(): void {
    this.stopped = true;
    for (const t of this.queued.values()) clearTimeout(t);
  }
}

export class ReplicaSetController extends Reconciler {
  observe(type: ResourceType, event: WatchEvent): void {
    const o = event.object;
    if (type === RS && event.type !== 'DELETED') this.enqueue(o.metadata.namespace, o.metadata.name);
    if (type === POD) {
      const owner = controllerOf(o);
      if (owner?.kind === 'ReplicaSet') this.enqueue(o.metadata.namespace, owner.name);
    }
  }

  protected sync(namespace: string, name: string): boolean {
    const rs = this.registry.store.tryGet(RS, namespace, name);
    if (!rs) return false;
    const pods = this.registry.store.list(POD, namespace).filter((p) => controllerOf(p)?.uid === rs.metadata.uid);
    const active = pods.filter(alive);
    const want = rs.metadata.deletionTimestamp ? active.length : (rs.spec.replicas ?? 1);
    // Failed / succeeded pods are replaced (the ReplicaSet counts only active ones), then removed.
    for (const p of pods.filter((x) => !alive(x) && !x.metadata.deletionTimestamp)) this.registry.delete(POD, namespace, p.metadata.name, { gracePeriodSeconds: 0 });
    if (active.length < want) {
      for (let i = active.length; i < want; i++) {
        const template = rs.spec.template ?? {};
        const created = this.registry.create(POD, namespace, {
          metadata: {
            generateName: `${name}-`,
            labels: { ...(template.metadata?.labels ?? {}) },
            annotations: template.metadata?.annotations,
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }],
          },
          spec: structuredClone(template.spec ?? {}),
        });
        recordEvent(this.registry, rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, 'replicaset-controller');
      }
    } else if (active.length > want) {
      // getPodsToDelete: not-ready before ready, newest first.
      const victims = [...active].sort((a, b) => Number(isReady(a)) - Number(isReady(b)) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
      for (const p of victims.slice(0, active.length - want)) {
        this.registry.delete(POD, namespace, p.metadata.name, {});
        recordEvent(this.registry, rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'replicaset-controller');
      }
    }
    const now = this.registry.store.list(POD, namespace).filter((p) => controllerOf(p)?.uid === rs.metadata.uid && !p.metadata.deletionTimestamp && alive(p));
    const minReady = rs.spec.minReadySeconds ?? 0;
    const status = {
      replicas: now.length,
      fullyLabeledReplicas: now.filter((p) => selectorMatches(rs.spec.selector, p.metadata.labels)).length,
      readyReplicas: now.filter(isReady).length,
      availableReplicas: now.filter((p) => isAvailable(p, minReady)).length,
      observedGeneration: rs.metadata.generation,
    };
    this.registry.mutate(
      RS,
      namespace,
      name,
      (x) => {
        x.status = Object.fromEntries(Object.entries(status).filter(([k, v]) => v !== 0 || k === 'replicas'));
      },
      rs.metadata.uid,
    );
    return now.length !== want || status.availableReplicas < now.filter(isReady).length;
  }
}

/** Resolves maxSurge / maxUnavailable (ResolveFenceposts): surge rounds up, unavailable down. */
function fenceposts(d: KObject): { surge: number; unavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const resolve = (v: unknown, up: boolean): number => {
    if (typeof v === 'number') return v;
    const pct = Number(String(v ?? '25%').replace('%', '')) / 100;
    return up ? Math.ceil(pct * replicas) : Math.floor(pct * replicas);
  };
  let surge = resolve(ru.maxSurge, true);
  let unavailable = resolve(ru.maxUnavailable, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  if (d.spec.strategy?.type === 'Recreate') {
    surge = 0;
    unavailable = replicas;
  }
  return { surge, unavailable };
}

export class DeploymentController extends Reconciler {
  observe(type: ResourceType, event: WatchEvent): void {
    const o = event.object;
    if (type === DEPLOYMENT && event.type !== 'DELETED') this.enqueue(o.metadata.namespace, o.metadata.name);
    if (type === RS) {
      const owner = controllerOf(o);
      if (owner?.kind === 'Deployment') this.enqueue(o.metadata.namespace, owner.name);
    }
  }

  protected sync(namespace: string, name: string): boolean {
    const d = this.registry.store.tryGet(DEPLOYMENT, namespace, name);
    if (!d || d.metadata.deletionTimestamp) return false;
    const replicas = d.spec.replicas ?? 1;
    const owned = this.registry.store.list(RS, namespace).filter((r) => controllerOf(r)?.uid === d.metadata.uid && !r.metadata.deletionTimestamp);
    const hash = podTemplateHash(d.spec.template);
    const sameTemplate = (r: KObject): boolean => {
      const t = structuredClone(r.spec.template ?? {});
      delete t.metadata?.labels?.['pod-template-hash'];
      return JSON.stringify(t) === JSON.stringify(d.spec.template);
    };
    let newRs = owned.find(sameTemplate);
    const old = owned.filter((r) => r !== newRs);
    const revision = Math.max(0, ...owned.map((r) => Number(r.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0)));
    let progressed = false;
    let createdNew = false;
    const { surge, unavailable } = fenceposts(d);
    const oldActive = old.reduce((n, r) => n + (r.status?.replicas ?? 0), 0);
    if (!newRs) {
      const template = structuredClone(d.spec.template);
      template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash } };
      const selector = structuredClone(d.spec.selector);
      selector.matchLabels = { ...(selector.matchLabels ?? {}), 'pod-template-hash': hash };
      newRs = this.registry.create(RS, namespace, {
        metadata: {
          name: `${name}-${hash}`,
          labels: template.metadata.labels,
          annotations: { 'deployment.kubernetes.io/revision': String(revision + 1), 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + surge) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
      });
      createdNew = true;
      progressed = true;
    } else if (Number(newRs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0) < revision) {
      // Rolling back to an older template makes that set the newest revision.
      this.registry.mutate(RS, namespace, newRs.metadata.name, (r) => {
        r.metadata.annotations = { ...(r.metadata.annotations ?? {}), 'deployment.kubernetes.io/revision': String(revision + 1) };
      });
    }
    if ((newRs.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
      this.registry.mutate(RS, namespace, newRs.metadata.name, (x) => (x.spec.minReadySeconds = d.spec.minReadySeconds ?? 0));
    }
    const scale = (r: KObject, to: number): void => {
      const from = r.spec.replicas ?? 0;
      if (from === to) return;
      progressed = true;
      recordEvent(this.registry, d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${r.metadata.name} from ${from} to ${to}`, 'deployment-controller');
      this.registry.mutate(RS, namespace, r.metadata.name, (x) => {
        x.spec.replicas = to;
        x.metadata.annotations = { ...(x.metadata.annotations ?? {}), 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + surge) };
      });
      r.spec.replicas = to;
    };

    if (d.spec.strategy?.type === 'Recreate') {
      for (const r of old) scale(r, 0);
      const oldPods = this.registry.store.list(POD, namespace).filter((p) => old.some((r) => controllerOf(p)?.uid === r.metadata.uid));
      if (oldPods.length === 0) scale(newRs, replicas);
    } else {
      // reconcileNewReplicaSet: up to replicas + maxSurge pods in total.
      const oldSpec = old.reduce((n, r) => n + (r.spec.replicas ?? 0), 0);
      const room = Math.max(0, replicas + surge - Math.max(oldSpec, oldActive) - (newRs.spec.replicas ?? 0));
      const target = Math.min(replicas, (newRs.spec.replicas ?? 0) + room);
      if ((newRs.spec.replicas ?? 0) > replicas) scale(newRs, replicas);
      else if (target > (newRs.spec.replicas ?? 0)) scale(newRs, target);
      // reconcileOldReplicaSets: keep at least replicas - maxUnavailable available.
      const available = [newRs, ...old].reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0);
      let canRemove = available - (replicas - unavailable);
      for (const r of old) {
        // Unavailable old pods can always go.
        const unhealthy = Math.max(0, (r.spec.replicas ?? 0) - (r.status?.availableReplicas ?? 0));
        if (unhealthy > 0) scale(r, (r.spec.replicas ?? 0) - unhealthy);
      }
      for (const r of old) {
        if (canRemove <= 0) break;
        const cut = Math.min(canRemove, r.spec.replicas ?? 0);
        if (cut > 0) scale(r, (r.spec.replicas ?? 0) - cut);
        canRemove -= cut;
      }
    }
    // Old sets beyond revisionHistoryLimit with no replicas are removed.
    const spent = old.filter((r) => (r.spec.replicas ?? 0) === 0 && (r.status?.replicas ?? 0) === 0);
    for (const r of spent.slice(0, Math.max(0, spent.length - (d.spec.revisionHistoryLimit ?? 10)))) this.registry.delete(RS, namespace, r.metadata.name, {});

    const all = [newRs, ...old];
    const status = {
      observedGeneration: d.metadata.generation,
      replicas: all.reduce((n, r) => n + (r.status?.replicas ?? 0), 0),
      updatedReplicas: newRs.status?.replicas ?? 0,
      readyReplicas: all.reduce((n, r) => n + (r.status?.readyReplicas ?? 0), 0),
      availableReplicas: all.reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0),
    };
    const unavailableReplicas = Math.max(0, replicas - status.availableReplicas);
    const complete = status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas && (newRs.status?.observedGeneration ?? 0) >= (newRs.metadata.generation ?? 1);
    const ts = nowTimestamp();
    this.registry.mutate(
      DEPLOYMENT,
      namespace,
      name,
      (x) => {
        const prev = (x.status ?? {}) as KObject;
        const conditions = ((prev.conditions ?? []) as KObject[]).map((c) => ({ ...c }));
        const set = (type: string, status: string, reason: string, message: string, touch: boolean): void => {
          const c = conditions.find((k) => k.type === type);
          if (!c) conditions.push({ type, status, lastUpdateTime: ts, lastTransitionTime: ts, reason, message });
          else {
            if (c.status !== status) c.lastTransitionTime = ts;
            if (touch || c.status !== status || c.reason !== reason) c.lastUpdateTime = ts;
            Object.assign(c, { status, reason, message });
          }
        };
        const minAvailable = replicas - unavailable;
        if (status.availableReplicas >= minAvailable) set('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', false);
        else set('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', false);
        const rsName = newRs!.metadata.name;
        const countsChanged = [prev.replicas, prev.updatedReplicas, prev.readyReplicas, prev.availableReplicas].map((n) => n ?? 0).join() !== [status.replicas, status.updatedReplicas, status.readyReplicas, status.availableReplicas].join();
        const progressing = conditions.find((c) => c.type === 'Progressing');
        if (complete) set('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, false);
        else if (createdNew) set('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`, true);
        else if (progressed || countsChanged || !progressing || progressing.reason === 'NewReplicaSetAvailable') set('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, true);
        else if (progressing.reason !== 'ProgressDeadlineExceeded' && Date.now() - Date.parse(progressing.lastUpdateTime) > (d.spec.progressDeadlineSeconds ?? 600) * 1000) {
          set('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, true);
        }
        x.status = { ...Object.fromEntries(Object.entries(status).filter(([k, v]) => v !== 0 || k === 'observedGeneration' || k === 'replicas')), ...(unavailableReplicas ? { unavailableReplicas } : {}), conditions };
      },
      d.metadata.uid,
    );
    return !complete;
  }
}
