// The simulated etcd + registry: typed resources, one monotonic resourceVersion, an event log for
// watches (with compaction, so old resourceVersions expire with 410 Gone), owner-reference
// garbage collection, and hooks the kubelet and controllers use.
import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, gone, notFound, SimError } from './status.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from './selectors.js';
import { validateObject } from './validate.js';

export type KObject = Record<string, any>;

export interface ResourceType {
  group: string;
  version: string;
  /** plural, lower case, e.g. `pods` */
  resource: string;
  kind: string;
  namespaced: boolean;
}

export const RESOURCE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true },
];

export function findResourceType(group: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.resource === resource);
}

export function resourceByKind(kind: string): ResourceType {
  const t = RESOURCE_TYPES.find((r) => r.kind === kind);
  if (!t) throw new Error(`unknown kind ${kind}`);
  return t;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
}

interface LoggedEvent extends WatchEvent {
  rv: number;
  type_: ResourceType;
}

export interface Watcher {
  type: ResourceType;
  namespace?: string;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  send(event: WatchEvent): void;
}

export type StoreHook = (type: ResourceType, event: WatchEvent) => void;

const key = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export class Store {
  private rv = 1;
  /** Events at or below this resourceVersion are gone (410 for watches starting there). */
  private compactedRv = 0;
  private readonly objects = new Map<ResourceType, Map<string, KObject>>();
  private readonly log: LoggedEvent[] = [];
  readonly watchers = new Set<Watcher>();
  readonly hooks: StoreHook[] = [];

  constructor() {
    for (const t of RESOURCE_TYPES) this.objects.set(t, new Map());
    for (const ns of ['default', 'kube-system']) {
      this.create(resourceByKind('Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Forgets the event history: watches from any earlier resourceVersion get 410 Gone. */
  compact(): void {
    // Bumped so that every resourceVersion a client has seen is now older than the history.
    this.compactedRv = ++this.rv;
    this.log.length = 0;
  }

  private table(type: ResourceType): Map<string, KObject> {
    return this.objects.get(type)!;
  }

  private emit(type: ResourceType, eventType: WatchEvent['type'], object: KObject): void {
    const rv = Number(object.metadata.resourceVersion);
    const event: LoggedEvent = { type: eventType, object: structuredClone(object), rv, type_: type };
    this.log.push(event);
    for (const w of this.watchers) {
      if (this.watcherWants(w, event)) w.send({ type: event.type, object: structuredClone(event.object) });
    }
    for (const hook of this.hooks) hook(type, { type: eventType, object: structuredClone(object) });
  }

  private watcherWants(w: Watcher, e: LoggedEvent): boolean {
    return (
      w.type === e.type_ &&
      (w.namespace === undefined || e.object.metadata.namespace === w.namespace) &&
      matchesLabels(w.labels, e.object.metadata.labels) &&
      matchesFields(w.fields, e.object)
    );
  }

  private requireNamespace(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced) return;
    const ns = this.table(resourceByKind('Namespace')).get(key(undefined, namespace ?? ''));
    if (!ns) throw notFound('namespaces', namespace ?? '');
    if (ns.metadata.deletionTimestamp) {
      throw new SimError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /** Defaulting the apiserver does on write. */
  private normalize(type: ResourceType, obj: KObject): void {
    obj.apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
    obj.kind = type.kind;
    if (type.kind === 'Secret' && obj.stringData) {
      obj.data = { ...(obj.data ?? {}) };
      for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) obj.data[k] = Buffer.from(v).toString('base64');
      delete obj.stringData;
    }
    if (type.kind === 'Secret' && !obj.type) obj.type = 'Opaque';
    if (type.kind === 'Pod') {
      obj.spec.restartPolicy ??= 'Always';
      obj.spec.serviceAccountName ??= 'default';
      for (const c of [...(obj.spec.initContainers ?? []), ...(obj.spec.containers ?? [])]) {
        c.terminationMessagePath ??= '/dev/termination-log';
        c.terminationMessagePolicy ??= 'File';
        c.imagePullPolicy ??= /:latest$|^[^:@]+$/.test(c.image ?? '') ? 'Always' : 'IfNotPresent';
      }
      obj.status ??= { phase: 'Pending', qosClass: 'BestEffort' };
    }
    if (type.kind === 'Service') {
      obj.spec ??= {};
      obj.spec.type ??= 'ClusterIP';
      obj.spec.clusterIP ??= `10.96.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
    }
    if (type.kind === 'Namespace') obj.status ??= { phase: 'Active' };
  }

  create(type: ResourceType, namespace: string | undefined, input: KObject, options: { dryRun?: boolean } = {}): KObject {
    const obj = structuredClone(input);
    obj.metadata ??= {};
    if (type.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw new SimError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace;
    }
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = obj.metadata.generateName + Math.random().toString(36).slice(2, 7);
    }
    this.normalize(type, obj);
    validateObject(obj);
    this.requireNamespace(type, namespace);
    const k = key(obj.metadata.namespace, obj.metadata.name);
    if (this.table(type).has(k)) throw alreadyExists(type.resource, obj.metadata.name, type.group);
    delete obj.metadata.deletionTimestamp;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    obj.metadata.generation = 1;
    if (options.dryRun) return obj;
    obj.metadata.resourceVersion = String(++this.rv);
    this.table(type).set(k, obj);
    this.emit(type, 'ADDED', obj);
    return structuredClone(obj);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KObject {
    const obj = this.table(type).get(key(type.namespaced ? namespace : undefined, name));
    if (!obj) throw notFound(type.resource, name, type.group);
    return structuredClone(obj);
  }

  tryGet(type: ResourceType, namespace: string | undefined, name: string): KObject | undefined {
    const obj = this.table(type).get(key(type.namespaced ? namespace : undefined, name));
    return obj ? structuredClone(obj) : undefined;
  }

  list(type: ResourceType, namespace: string | undefined, labels: LabelRequirement[] = [], fields: FieldRequirement[] = []): KObject[] {
    return [...this.table(type).values()]
      .filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o))
      .map((o) => structuredClone(o));
  }

  /**
   * Replaces an object. With `status` set, only `.status` is taken from the input (the /status
   * subresource); otherwise `.status` is kept from the stored object. A stale resourceVersion is 409.
   */
  update(type: ResourceType, namespace: string | undefined, name: string, input: KObject, options: { status?: boolean; dryRun?: boolean } = {}): KObject {
    const k = key(type.namespaced ? namespace : undefined, name);
    const current = this.table(type).get(k);
    if (!current) throw notFound(type.resource, name, type.group);
    const incomingRv = input.metadata?.resourceVersion;
    if (incomingRv && incomingRv !== current.metadata.resourceVersion) throw conflict(type.resource, name);
    if (input.metadata?.name && input.metadata.name !== name) {
      throw new SimError(400, 'BadRequest', `the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    let next: KObject;
    if (options.status) {
      next = structuredClone(current);
      next.status = structuredClone(input.status);
    } else {
      next = structuredClone(input);
      next.metadata = { ...structuredClone(input.metadata ?? {}) };
      for (const field of ['uid', 'creationTimestamp', 'namespace', 'name', 'generation', 'deletionTimestamp'] as const) {
        if (current.metadata[field] !== undefined) next.metadata[field] = current.metadata[field];
        else delete next.metadata[field];
      }
      if ('status' in current) next.status = structuredClone(current.status);
      if (type.kind === 'Pod') {
        // Pod specs are immutable apart from images and a few fields.
        const strip = (spec: KObject): string => JSON.stringify({ ...spec, containers: spec.containers?.map((c: KObject) => ({ ...c, image: '' })), activeDeadlineSeconds: 0, tolerations: [] });
        if (next.spec && strip(next.spec) !== strip(current.spec)) {
          throw new SimError(422, 'Invalid', `Pod "${name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`, \`spec.activeDeadlineSeconds\` or \`spec.tolerations\``, { name, kind: 'Pod' });
        }
      }
      this.normalize(type, next);
      if (JSON.stringify(next.spec) !== JSON.stringify(current.spec)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    validateObject(next);
    if (options.dryRun) return next;
    next.metadata.resourceVersion = String(++this.rv);
    this.table(type).set(k, next);
    this.emit(type, 'MODIFIED', next);
    return structuredClone(next);
  }

  /** Read-modify-write for controllers (the kubelet's status updates). */
  mutate(type: ResourceType, namespace: string | undefined, name: string, change: (obj: KObject) => void): KObject | undefined {
    const k = key(type.namespaced ? namespace : undefined, name);
    const current = this.table(type).get(k);
    if (!current) return undefined;
    const next = structuredClone(current);
    change(next);
    if (JSON.stringify(next) === JSON.stringify(current)) return structuredClone(current);
    next.metadata.resourceVersion = String(++this.rv);
    this.table(type).set(k, next);
    this.emit(type, 'MODIFIED', next);
    return structuredClone(next);
  }

  /**
   * Deletes an object and, unless `orphan`, garbage-collects every object whose ownerReferences
   * name it (background propagation, as the garbage collector does).
   */
  delete(type: ResourceType, namespace: string | undefined, name: string, options: { orphan?: boolean; dryRun?: boolean } = {}): KObject {
    const k = key(type.namespaced ? namespace : undefined, name);
    const current = this.table(type).get(k);
    if (!current) throw notFound(type.resource, name, type.group);
    if (options.dryRun) return structuredClone(current);
    const deleted = structuredClone(current);
    deleted.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    deleted.metadata.resourceVersion = String(++this.rv);
    this.table(type).delete(k);
    this.emit(type, 'DELETED', deleted);
    if (type.kind === 'Namespace') {
      for (const t of RESOURCE_TYPES.filter((r) => r.namespaced)) {
        for (const o of this.list(t, name)) this.tryDelete(t, name, o.metadata.name);
      }
    }
    if (!options.orphan) this.collectDependents(current.metadata.uid);
    return deleted;
  }

  private tryDelete(type: ResourceType, namespace: string | undefined, name: string): void {
    try {
      this.delete(type, namespace, name);
    } catch (err) {
      if (!(err instanceof SimError && err.code === 404)) throw err;
    }
  }

  private collectDependents(ownerUid: string): void {
    for (const t of RESOURCE_TYPES) {
      for (const o of [...this.table(t).values()]) {
        const refs = (o.metadata.ownerReferences ?? []) as KObject[];
        if (refs.some((r) => r.uid === ownerUid)) this.tryDelete(t, o.metadata.namespace, o.metadata.name);
      }
    }
  }

  /**
   * Registers a watch. From resourceVersion `since` the logged events after it are replayed; with
   * no resourceVersion (or "0") the current objects come first as ADDED. Throws 410 if `since` was
   * compacted away.
   */
  watch(w: Watcher, since: string | undefined): () => void {
    if (since && since !== '0') {
      const from = Number(since);
      if (!Number.isFinite(from)) throw new SimError(400, 'BadRequest', `invalid resource version: ${since}`);
      if (from < this.compactedRv) throw gone(`too old resource version: ${from} (${this.compactedRv})`);
      for (const e of this.log) if (e.rv > from && this.watcherWants(w, e)) w.send({ type: e.type, object: structuredClone(e.object) });
    } else {
      for (const o of this.list(w.type, w.namespace, w.labels, w.fields)) w.send({ type: 'ADDED', object: o });
    }
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }
}
