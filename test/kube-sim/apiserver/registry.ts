// The generic registry store: what happens between a decoded object and etcd. Create (namespace
// lifecycle admission, defaulting, validation, dryRun), update (optimistic concurrency, status
// subresource, generation, immutability), and deletion as the real store does it: preconditions,
// graceful pod deletion, finalizers, propagationPolicy (Orphan and Foreground become finalizers
// the garbage collector works off), Terminating namespaces and protected namespaces. Every writer
// goes through here: the HTTP handlers, the controllers and the kubelet.
import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound, SimError } from '../store/status.js';
import type { Store } from '../store/store.js';
import { apiVersionOf, nowTimestamp, resourceByKind, type KObject, type ResourceType } from '../store/types.js';
import { validateCreate, validateUpdate } from '../validation/validate.js';
import { applyDefaults, HAS_GENERATION, initialStatus } from './defaults.js';

const NAMESPACE = resourceByKind('Namespace');
const POD = resourceByKind('Pod');
/** NamespaceLifecycle admission: these may never be deleted. */
export const PROTECTED_NAMESPACES = ['default', 'kube-system', 'kube-public'];

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as it now is (being deleted), or as it was (gone). */
  object: KObject;
  /** True when the object is gone from storage. */
  deleted: boolean;
}

export class Registry {
  constructor(readonly store: Store) {}

  private admitNamespace(type: ResourceType, namespace: string | undefined, name: string): void {
    if (!type.namespaced) return;
    const ns = this.store.tryGet(NAMESPACE, undefined, namespace ?? '');
    if (!ns) throw notFound('namespaces', namespace ?? '');
    if (ns.metadata.deletionTimestamp) {
      throw new SimError(403, 'Forbidden', `${type.resource}${type.group ? '.' + type.group : ''} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name,
        group: type.group || undefined,
        kind: type.resource,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /** POST: `obj` is decoded; the namespace comes from the URL. */
  create(type: ResourceType, namespace: string | undefined, input: KObject, options: { dryRun?: boolean } = {}): KObject {
    const obj = structuredClone(input);
    obj.metadata ??= {};
    if (type.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw new SimError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace;
    } else delete obj.metadata.namespace;
    if (!obj.metadata.name && obj.metadata.generateName) {
      // names.SimpleNameGenerator: five characters from an alphabet without vowels or confusable digits
      const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
      obj.metadata.name = obj.metadata.generateName + Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    }
    // BeforeCreate: system fields are the server's to set.
    for (const f of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'creationTimestamp', 'generation', 'selfLink'] as const) delete obj.metadata[f];
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    applyDefaults(type, obj);
    initialStatus(type, obj);
    validateCreate(type, obj);
    this.admitNamespace(type, namespace, obj.metadata.name);
    if (this.store.tryGet(type, namespace, obj.metadata.name)) throw alreadyExists(type.resource, obj.metadata.name, type.group);
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = nowTimestamp();
    if (HAS_GENERATION.has(type.kind)) obj.metadata.generation = 1;
    if (options.dryRun) return obj;
    return this.store.insert(type, obj);
  }

  /**
   * PUT (and the end of PATCH): a stale resourceVersion is 409; with `status` only `.status` (and
   * metadata labels/annotations) is taken, otherwise `.status` is kept from the stored object.
   */
  update(type: ResourceType, namespace: string | undefined, name: string, input: KObject, options: { status?: boolean; dryRun?: boolean } = {}): KObject {
    const current = this.store.get(type, namespace, name);
    const incomingRv = input.metadata?.resourceVersion;
    if (incomingRv && incomingRv !== current.metadata.resourceVersion) throw conflict(type.resource, name, type.group);
    if (input.metadata?.name && input.metadata.name !== name) {
      throw new SimError(400, 'BadRequest', `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (type.namespaced && input.metadata?.namespace && input.metadata.namespace !== namespace) {
      throw new SimError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
    }
    let next: KObject;
    if (options.status) {
      next = structuredClone(current);
      next.status = structuredClone(input.status);
    } else {
      next = structuredClone(input);
      next.metadata = structuredClone(input.metadata ?? {});
      for (const field of ['uid', 'creationTimestamp', 'namespace', 'name', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
        if (current.metadata[field] !== undefined) next.metadata[field] = current.metadata[field];
        else delete next.metadata[field];
      }
      if ('status' in current) next.status = structuredClone(current.status);
      else delete next.status;
      next.apiVersion = apiVersionOf(type);
      next.kind = type.kind;
      applyDefaults(type, next);
      if (HAS_GENERATION.has(type.kind) && JSON.stringify(next.spec) !== JSON.stringify(current.spec)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    validateUpdate(type, next, current);
    if (options.dryRun) return next;
    return this.writeAndMaybeFinalize(type, next);
  }

  /** Stores `next`; an object being deleted whose finalizers are all gone is removed instead. */
  private writeAndMaybeFinalize(type: ResourceType, next: KObject): KObject {
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).length && !(type === NAMESPACE && (next.spec?.finalizers ?? []).length) && (type !== POD || next.metadata.deletionGracePeriodSeconds === 0)) {
      this.store.replace(type, next);
      return this.store.remove(type, next.metadata.namespace, next.metadata.name);
    }
    return this.store.replace(type, next);
  }

  /**
   * Read-modify-write for controllers and the kubelet (no validation: they write status and
   * bookkeeping). Returns undefined when the object is gone.
   */
  mutate(type: ResourceType, namespace: string | undefined, name: string, change: (obj: KObject) => void, expectUid?: string): KObject | undefined {
    const current = this.store.tryGet(type, namespace, name);
    if (!current || (expectUid && current.metadata.uid !== expectUid)) return undefined;
    const next = structuredClone(current);
    change(next);
    if (JSON.stringify(next) === JSON.stringify(current)) return current;
    return this.writeAndMaybeFinalize(type, next);
  }

  /** The kubelet's final word on a terminated pod (or a namespace controller's): removed now. */
  removeNow(type: ResourceType, namespace: string | undefined, name: string, uid?: string): void {
    const current = this.store.tryGet(type, namespace, name);
    if (!current || (uid && current.metadata.uid !== uid)) return;
    if ((current.metadata.finalizers ?? []).length) {
      this.store.replace(type, { ...current, metadata: { ...current.metadata, deletionTimestamp: current.metadata.deletionTimestamp ?? nowTimestamp(), deletionGracePeriodSeconds: 0 } });
      return;
    }
    this.store.remove(type, namespace, name);
  }

  /** DELETE of one object, as the generic registry store's Delete does it. */
  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    if (type === NAMESPACE && PROTECTED_NAMESPACES.includes(name)) {
      throw new SimError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    const current = this.store.get(type, namespace, name);
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== current.metadata.uid) {
      throw new SimError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${type.resource}${type.group ? '.' + type.group : ''} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
        { name, group: type.group || undefined, kind: type.resource },
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw new SimError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${type.resource}${type.group ? '.' + type.group : ''} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        { name, group: type.group || undefined, kind: type.resource },
      );
    }
    const next = structuredClone(current);
    const finalizers = new Set<string>(next.metadata.finalizers ?? []);
    // deletionFinalizersForGarbageCollection: the policy becomes a finalizer the GC acts on.
    if (options.propagationPolicy === 'Orphan') {
      finalizers.add('orphan');
      finalizers.delete('foregroundDeletion');
    } else if (options.propagationPolicy === 'Foreground') {
      finalizers.add('foregroundDeletion');
      finalizers.delete('orphan');
    } else if (options.propagationPolicy === 'Background' && !current.metadata.deletionTimestamp) {
      finalizers.delete('orphan');
      finalizers.delete('foregroundDeletion');
    }
    if (finalizers.size) next.metadata.finalizers = [...finalizers];
    else delete next.metadata.finalizers;

    const graceful = type === POD && !!current.spec?.nodeName && !current.status?.phase?.match(/^(Succeeded|Failed)$/);
    const grace = options.gracePeriodSeconds ?? (graceful ? (current.spec?.terminationGracePeriodSeconds ?? 30) : 0);
    const pendingNamespace = type === NAMESPACE;
    if (!finalizers.size && !pendingNamespace && !(graceful && grace > 0)) {
      if (options.dryRun) return { object: current, deleted: true };
      if (current.metadata.deletionTimestamp && JSON.stringify(next.metadata.finalizers) !== JSON.stringify(current.metadata.finalizers)) this.store.replace(type, next);
      return { object: this.store.remove(type, namespace, name), deleted: true };
    }
    if (current.metadata.deletionTimestamp) {
      // Already being deleted: only a shorter grace period (and policy finalizers) change anything.
      if (graceful && grace < (current.metadata.deletionGracePeriodSeconds ?? Infinity)) {
        next.metadata.deletionGracePeriodSeconds = grace;
        if (grace === 0 && !finalizers.size) {
          if (options.dryRun) return { object: current, deleted: true };
          return { object: this.store.remove(type, namespace, name), deleted: true };
        }
      }
      if (options.dryRun) return { object: next, deleted: false };
      return { object: this.store.replace(type, next), deleted: false };
    }
    next.metadata.deletionTimestamp = nowTimestamp();
    next.metadata.deletionGracePeriodSeconds = graceful ? grace : 0;
    if (pendingNamespace) next.status = { ...(next.status ?? {}), phase: 'Terminating' };
    if (options.dryRun) return { object: next, deleted: false };
    return { object: this.store.replace(type, next), deleted: false };
  }
}
