// The simulated etcd: typed objects, one monotonic resourceVersion, an event log for watches (with
// compaction, so old resourceVersions expire with 410 Gone) and hooks for the controllers and the
// kubelet. It stores what it is given: defaulting, validation and deletion semantics live in
// apiserver/registry.ts, which every writer (HTTP handlers, controllers, kubelet) goes through.
import { conflict, gone, notFound, SimError } from './status.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from './selectors.js';
import { RESOURCE_TYPES, type KObject, type ResourceType } from './types.js';

export { RESOURCE_TYPES, findResourceType, resourceByKind, type KObject, type ResourceType } from './types.js';

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
    return w.type === e.type_ && (w.namespace === undefined || e.object.metadata.namespace === w.namespace) && matchesLabels(w.labels, e.object.metadata.labels) && matchesFields(w.fields, e.object);
  }

  /** Stores a new object (the caller checked it does not exist); assigns its resourceVersion. */
  insert(type: ResourceType, obj: KObject): KObject {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    this.table(type).set(key(stored.metadata.namespace, stored.metadata.name), stored);
    this.emit(type, 'ADDED', stored);
    return structuredClone(stored);
  }

  /** Replaces a stored object; a resourceVersion in `obj` that is not the current one is 409 Conflict. */
  replace(type: ResourceType, obj: KObject): KObject {
    const k = key(obj.metadata.namespace, obj.metadata.name);
    const current = this.table(type).get(k);
    if (!current) throw notFound(type.resource, obj.metadata.name, type.group);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== current.metadata.resourceVersion) throw conflict(type.resource, obj.metadata.name, type.group);
    if (JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: '' } }) === JSON.stringify({ ...current, metadata: { ...current.metadata, resourceVersion: '' } })) {
      return structuredClone(current); // a no-op write does not bump the resourceVersion, as in etcd3 storage
    }
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    this.table(type).set(k, stored);
    this.emit(type, 'MODIFIED', stored);
    return structuredClone(stored);
  }

  /** Removes an object for good and tells the watchers (DELETED). */
  remove(type: ResourceType, namespace: string | undefined, name: string): KObject {
    const k = key(type.namespaced ? namespace : undefined, name);
    const current = this.table(type).get(k);
    if (!current) throw notFound(type.resource, name, type.group);
    const deleted = structuredClone(current);
    deleted.metadata.resourceVersion = String(++this.rv);
    this.table(type).delete(k);
    this.emit(type, 'DELETED', deleted);
    return structuredClone(deleted);
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

  /** Objects in name order (namespace, then name), as etcd's key order gives them. */
  list(type: ResourceType, namespace: string | undefined, labels: LabelRequirement[] = [], fields: FieldRequirement[] = []): KObject[] {
    return [...this.table(type).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o))
      .map((o) => structuredClone(o));
  }

  /** Every stored object of every type (for the garbage collector). */
  *all(): Generator<{ type: ResourceType; object: KObject }> {
    for (const [type, table] of this.objects) for (const o of [...table.values()]) yield { type, object: structuredClone(o) };
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
