// A simulated Kubernetes API server on 127.0.0.1: the real REST paths and Status errors that
// @kubernetes/client-node uses, watch streams, websockets for exec/attach, chunked log follow,
// RBAC (SelfSubjectAccessReview answered from, and requests checked against, configurable rules)
// and injectable faults. See kubelet.ts for how pods actually run.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATUS_CODES } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer } from 'ws';
import { stringify } from 'yaml';
import { Kubelet } from './kubelet.js';
import { applyPatch } from './patch.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { badRequest, SimError, statusBody } from './status.js';
import { findResourceType, resourceByKind, Store, type KObject, type ResourceType, type Watcher } from './store.js';
import { chooseProtocol, serveAttach, serveExec } from './streams.js';
import { validateObject } from './validate.js';

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
}

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
    return new SimError(
      403,
      'Forbidden',
      `${res}${a.name ? ` "${a.name}"` : ''} is forbidden: User "${this.user}" cannot ${a.verb} resource "${res}" in API group "${a.group}"${where}`,
      { name: a.name, kind: a.resource, group: a.group || undefined },
    );
  }
}

export interface KubeSim {
  url: string;
  port: number;
  token: string;
  store: Store;
  kubelet: Kubelet;
  faults: Faults;
  rbac: Rbac;
  requests: RequestRecord[];
  /** A kubeconfig file (YAML) pointing at the simulator with a token user. */
  kubeconfigPath: string;
  /** A client-node KubeConfig for the simulator, optionally with a default namespace. */
  kubeConfig(namespace?: string): KubeConfig;
  createNamespace(name: string): void;
  stop(): Promise<void>;
}

interface Route {
  group: string;
  type?: ResourceType;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function parseRoute(pathname: string): Route | undefined {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (seg[0] === 'api' && seg[1] === 'v1') {
    group = '';
    rest = seg.slice(2);
  } else if (seg[0] === 'apis' && seg.length >= 4) {
    group = seg[1]!;
    rest = seg.slice(3);
  } else return undefined;
  let route: Route;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    route = { group, namespace: rest[1], resource: rest[2]!, name: rest[3], subresource: rest[4] };
  } else if (rest.length >= 1) {
    route = { group, resource: rest[0]!, name: rest[1], subresource: rest[2] };
  } else return undefined;
  route.type = findResourceType(group, route.resource);
  return route;
}

function verbOf(method: string, route: Route, query: URLSearchParams): string {
  if (route.subresource === 'exec' || route.subresource === 'attach') return 'create';
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
      return route.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): KObject {
  try {
    return JSON.parse(text) as KObject;
  } catch (err) {
    throw badRequest(`the server could not read the request body: ${(err as Error).message}`);
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startKubeSim(options: { token?: string; namespaces?: string[] } = {}): Promise<KubeSim> {
  const token = options.token ?? `kube-sim-${Math.random().toString(36).slice(2)}`;
  const workRoot = mkdtempSync(join(tmpdir(), 'kube-sim-'));
  const store = new Store();
  const kubelet = new Kubelet(store, workRoot);
  const faults = new Faults(store);
  const rbac = new Rbac();
  const requests: RequestRecord[] = [];
  const sockets = new Set<Socket>();
  for (const ns of options.namespaces ?? []) store.create(resourceByKind('Namespace'), undefined, { metadata: { name: ns } });

  const authorize = (method: string, route: Route, query: URLSearchParams): void => {
    const attrs: AccessAttributes = {
      verb: verbOf(method, route, query),
      group: route.group,
      resource: route.resource,
      subresource: route.subresource,
      namespace: route.namespace,
      name: route.name,
    };
    if (!rbac.allowed(attrs)) throw rbac.forbidden(attrs);
  };

  /** Auth and faults, common to HTTP requests and websocket upgrades; returns an error to send, if any. */
  const precheck = (req: IncomingMessage, path: string): { code: number; body: unknown; headers?: Record<string, string> } | undefined => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      return { code: 401, body: statusBody(401, 'Unauthorized', 'Unauthorized') };
    }
    const fault = faults.take(req.method ?? 'GET', path);
    if (fault) {
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
      const reason = fault.code === 429 ? 'TooManyRequests' : fault.code === 503 ? 'ServiceUnavailable' : 'InternalError';
      const message = fault.code === 429 ? 'Too many requests, please try again later.' : 'Internal error occurred: injected fault (kube-sim)';
      return { code: fault.code, body: statusBody(fault.code, reason, message, fault.retryAfterSeconds ? { retryAfterSeconds: fault.retryAfterSeconds } : undefined), headers };
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const query = url.searchParams;
    if (url.pathname === '/version') {
      return sendJson(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-kube-sim', platform: 'linux/amd64' });
    }
    if (url.pathname === '/api') return sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'] });
    const route = parseRoute(url.pathname);
    if (!route) throw new SimError(404, 'NotFound', 'the server could not find the requested resource');
    if (route.group === 'authorization.k8s.io' && route.resource === 'selfsubjectaccessreviews' && method === 'POST') {
      const review = parseJson(await readBody(req));
      review.apiVersion ??= 'authorization.k8s.io/v1';
      review.kind ??= 'SelfSubjectAccessReview';
      validateObject(review);
      const a = review.spec?.resourceAttributes ?? {};
      const allowed = rbac.allowed({ verb: a.verb, group: a.group ?? '', resource: a.resource, subresource: a.subresource, namespace: a.namespace, name: a.name });
      return sendJson(res, 201, { ...review, metadata: { creationTimestamp: null }, status: { allowed, ...(allowed ? {} : { reason: 'no RBAC policy matched' }) } });
    }
    if (!route.type) throw new SimError(404, 'NotFound', 'the server could not find the requested resource');
    authorize(method, route, query);
    const type = route.type;
    const ns = type.namespaced ? route.namespace : undefined;
    const dryRun = query.get('dryRun') === 'All';

    if (!route.name) {
      if (method === 'GET') {
        const labels = parseSelectorOr400(() => parseLabelSelector(query.get('labelSelector') ?? undefined));
        const fields = parseSelectorOr400(() => parseFieldSelector(query.get('fieldSelector') ?? undefined));
        if (query.get('watch') === 'true' || query.get('watch') === '1') return serveWatch(req, res, type, ns, labels, fields, query);
        const items = store.list(type, ns, labels, fields);
        return sendJson(res, 200, {
          kind: `${type.kind}List`,
          apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
          metadata: { resourceVersion: String(store.resourceVersion) },
          items,
        });
      }
      if (method === 'POST') {
        const created = store.create(type, ns, parseJson(await readBody(req)), { dryRun });
        return sendJson(res, 201, created);
      }
      if (method === 'DELETE') {
        const labels = parseSelectorOr400(() => parseLabelSelector(query.get('labelSelector') ?? undefined));
        const fields = parseSelectorOr400(() => parseFieldSelector(query.get('fieldSelector') ?? undefined));
        const items = store.list(type, ns, labels, fields);
        for (const item of items) await deleteObject(type, ns, item.metadata.name, query, {});
        return sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: type.group ? `${type.group}/${type.version}` : 'v1', metadata: {}, items });
      }
      throw new SimError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }

    if (route.subresource === 'log' && type.kind === 'Pod' && method === 'GET') return serveLog(req, res, ns!, route.name, query);
    if (route.subresource && route.subresource !== 'status') {
      throw new SimError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const status = route.subresource === 'status';
    switch (method) {
      case 'GET':
        return sendJson(res, 200, store.get(type, ns, route.name));
      case 'PUT':
        return sendJson(res, 200, store.update(type, ns, route.name, parseJson(await readBody(req)), { status, dryRun }));
      case 'PATCH': {
        const current = store.get(type, ns, route.name);
        const patched = applyPatch(current, parseJson(await readBody(req)), req.headers['content-type'] ?? 'application/json-patch+json');
        if (patched.metadata) patched.metadata.resourceVersion = current.metadata.resourceVersion;
        return sendJson(res, 200, store.update(type, ns, route.name, patched, { status, dryRun }));
      }
      case 'DELETE': {
        const text = await readBody(req);
        return sendJson(res, 200, await deleteObject(type, ns, route.name, query, text ? parseJson(text) : {}, dryRun));
      }
      default:
        throw new SimError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  };

  const deleteObject = async (type: ResourceType, ns: string | undefined, name: string, query: URLSearchParams, options: KObject, dryRun = false): Promise<unknown> => {
    const policy = query.get('propagationPolicy') ?? options.propagationPolicy;
    const orphan = policy === 'Orphan' || options.orphanDependents === true;
    if (dryRun) return store.get(type, ns, name);
    if (type.kind === 'Pod') {
      // Graceful deletion: marked, containers stopped, then removed.
      const grace = Number(query.get('gracePeriodSeconds') ?? options.gracePeriodSeconds ?? 30);
      const current = store.get(type, ns, name);
      if (current.metadata.deletionTimestamp) return current;
      const marked = store.mutate(type, ns, name, (p) => {
        p.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        p.metadata.deletionGracePeriodSeconds = grace;
      });
      setTimeout(() => {
        try {
          store.delete(type, ns, name, { orphan });
        } catch {
          // already gone
        }
      }, Math.min(grace, 1) * 100);
      return marked;
    }
    store.delete(type, ns, name, { orphan });
    return statusBody(200, '', '', { name, kind: type.resource, group: type.group || undefined });
  };

  const serveWatch = (req: IncomingMessage, res: ServerResponse, type: ResourceType, ns: string | undefined, labels: ReturnType<typeof parseLabelSelector>, fields: ReturnType<typeof parseFieldSelector>, query: URLSearchParams): void => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { type, namespace: ns, labels, fields, send: (e) => res.write(JSON.stringify(e) + '\n') };
    let unregister: () => void;
    try {
      unregister = store.watch(watcher, query.get('resourceVersion') ?? undefined);
    } catch (err) {
      if (err instanceof SimError) {
        res.end(JSON.stringify({ type: 'ERROR', object: err.toStatus() }) + '\n');
        return;
      }
      throw err;
    }
    const handle = { destroy: () => res.socket?.destroy() };
    faults.openWatches.add(handle);
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const done = (): void => {
      unregister();
      faults.openWatches.delete(handle);
      clearTimeout(timer);
    };
    res.on('close', done);
  };

  const serveLog = (req: IncomingMessage, res: ServerResponse, ns: string, name: string, query: URLSearchParams): void => {
    const log = kubelet.logsOf(ns, name, query.get('container') ?? undefined);
    let text = log.text();
    const tail = query.get('tailLines');
    if (tail) {
      const lines = text.split('\n');
      const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
      text = lines.slice(-Number(tail)).join('\n') + (trailing === '' ? '\n' : '');
    }
    if (query.get('follow') !== 'true') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (text) res.write(text);
    if (log.ended) {
      res.end();
      return;
    }
    const follower = { data: (d: Buffer) => res.write(d), end: () => res.end() };
    log.followers.add(follower);
    res.on('close', () => log.followers.delete(follower));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname + url.search, status: 0 };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    const early = precheck(req, url.pathname);
    if (early) {
      req.resume();
      return sendJson(res, early.code, early.body, early.headers);
    }
    handle(req, res, url).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof SimError) sendJson(res, err.code, err.toStatus());
      else sendJson(res, 500, statusBody(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`));
    });
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => chooseProtocol(offered) });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: 'UPGRADE', path: url.pathname + url.search, status: 101 });
    const reject = (code: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
          Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + `\r\n${text}`,
      );
    };
    try {
      const early = precheck(req, url.pathname);
      if (early) return reject(early.code, early.body, early.headers);
      const route = parseRoute(url.pathname);
      if (!route || route.resource !== 'pods' || !route.name || !route.namespace || (route.subresource !== 'exec' && route.subresource !== 'attach')) {
        return reject(404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      }
      authorize('GET', route, url.searchParams);
      const q = url.searchParams;
      const container = q.get('container') ?? undefined;
      if (route.subresource === 'exec') {
        const command = q.getAll('command');
        const child = kubelet.exec(route.namespace, route.name, container, command);
        wss.handleUpgrade(req, socket, head, (ws) => serveExec(ws, child, command, { stdout: q.get('stdout') !== 'false', stderr: q.get('stderr') !== 'false' }));
      } else {
        const target = kubelet.attachTarget(route.namespace, route.name, container);
        wss.handleUpgrade(req, socket, head, (ws) => serveAttach(ws, target, { stdin: q.get('stdin') === 'true' }));
      }
    } catch (err) {
      if (err instanceof SimError) reject(err.code, err.toStatus());
      else reject(500, statusBody(500, 'InternalError', (err as Error).message));
    }
  });

  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;

  const configFor = (namespace?: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain http:// unless TLS verification is explicitly skipped.
    clusters: [{ name: 'kube-sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'kube-sim-user', user: { token } }],
    contexts: [{ name: 'kube-sim', context: { cluster: 'kube-sim', user: 'kube-sim-user', ...(namespace ? { namespace } : {}) } }],
    'current-context': 'kube-sim',
  });
  const kubeconfigPath = join(workRoot, 'kubeconfig.yaml');
  writeFileSync(kubeconfigPath, stringify(configFor()));

  return {
    url,
    port,
    token,
    store,
    kubelet,
    faults,
    rbac,
    requests,
    kubeconfigPath,
    kubeConfig: (namespace?: string) => {
      const kc = new KubeConfig();
      kc.loadFromString(JSON.stringify(configFor(namespace)));
      return kc;
    },
    createNamespace: (name: string) => {
      store.create(resourceByKind('Namespace'), undefined, { metadata: { name } });
    },
    stop: async () => {
      for (const w of [...faults.openWatches]) w.destroy();
      for (const c of wss.clients) c.terminate();
      await kubelet.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}

function parseSelectorOr400<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}
