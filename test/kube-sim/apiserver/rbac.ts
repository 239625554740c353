// Authorization and injectable faults, common to HTTP requests and websocket upgrades.
import { SimError } from '../store/status.js';
import type { Store } from '../store/store.js';

interface Fault {
  remaining: number;
  code: number;
  retryAfterSeconds?: number;
  method?: string;
  path?: RegExp;
}

/** Faults a test can inject into the API server. */
export class Faults {
  private readonly queue: Fault[] = [];
  readonly openWatches = new Set<{ destroy(): void }>();

  constructor(private readonly store: Store) {}

  /** Answers the next `count` matching requests with `code` (500 by default; 429 gets Retry-After). */
  failNext(count: number, options: { code?: number; retryAfterSeconds?: number; method?: string; path?: RegExp } = {}): void {
    const code = options.code ?? 500;
    this.queue.push({
      remaining: count,
      code,
      retryAfterSeconds: options.retryAfterSeconds ?? (code === 429 ? 1 : undefined),
      method: options.method?.toUpperCase(),
      path: options.path,
    });
  }

  /** Cuts every open watch connection (the client sees the stream end mid-way). */
  dropWatches(): number {
    const n = this.openWatches.size;
    for (const w of [...this.openWatches]) w.destroy();
    return n;
  }

  /** Compacts history: a watch from any resourceVersion seen so far gets 410 Gone. */
  expireResourceVersions(): void {
    this.store.compact();
  }

  take(method: string, path: string): Fault | undefined {
    const f = this.queue.find((q) => q.remaining > 0 && (!q.method || q.method === method) && (!q.path || q.path.test(path)));
    if (!f) return undefined;
    f.remaining--;
    return f;
  }
}

export interface RbacRule {
  verbs: string[];
  /** `pods`, `pods/exec`, `*` */
  resources: string[];
  apiGroups?: string[];
  namespaces?: string[];
}

export interface AccessAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Authorization: all allowed by default; `allowOnly` / `deny` narrow it for tests. */
export class Rbac {
  private rules: RbacRule[] | 'all' = 'all';
  private readonly denied: { verb: string; resource: string }[] = [];
  readonly user = 'system:serviceaccount:ci:build-image';

  allowAll(): void {
    this.rules = 'all';
    this.denied.length = 0;
  }

  allowOnly(rules: RbacRule[]): void {
    this.rules = rules;
  }

  /** Denies one verb on one resource (`pods/exec` for a subresource). */
  deny(verb: string, resource: string): void {
    this.denied.push({ verb, resource });
  }

  allowed(a: AccessAttributes): boolean {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    if (this.denied.some((d) => d.verb === a.verb && d.resource === res)) return false;
    if (this.rules === 'all') return true;
    return this.rules.some(
      (r) =>
        (r.verbs.includes('*') || r.verbs.includes(a.verb)) &&
        (r.resources.includes('*') || r.resources.includes(res)) &&
        (!r.apiGroups || r.apiGroups.includes('*') || r.apiGroups.includes(a.group)) &&
        (!r.namespaces || (a.namespace !== undefined && r.namespaces.includes(a.namespace))),
    );
  }

  forbidden(a: AccessAttributes): SimError {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const where = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
    return new SimError(403, 'Forbidden', `${res}${a.name ? ` "${a.name}"` : ''} is forbidden: User "${this.user}" cannot ${a.verb} resource "${res}" in API group "${a.group}"${where}`, {
      name: a.name,
      kind: a.resource,
      group: a.group || undefined,
    });
  }
}
