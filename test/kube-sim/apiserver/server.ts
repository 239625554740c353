// A simulated Kubernetes API server on 127.0.0.1 over HTTPS (its own CA, written into the
// kubeconfig): the real REST paths, discovery, OpenAPI, Status errors, watch streams, websockets
// for exec/attach, chunked log follow, server-side apply, RBAC (SelfSubjectAccessReview answered
// from, and requests checked against, configurable rules) and injectable faults.
// Request handling follows the real handler chain: authentication, authorization, decode (400),
// defaulting, validation (422), admission, dryRun, storage (apiserver/registry.ts).
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer } from 'ws';
import { stringify } from 'yaml';
import { selfSignedCertificate } from '../../harness/token-server-cert.js';
import { Controllers } from '../controllers/index.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.js';
import { badRequest, SimError, statusBody } from '../store/status.js';
import { Store } from '../store/store.js';
import { apiVersionOf, resourceByKind, type KObject, type ResourceType } from '../store/types.js';
import { decodeObject, dryRunOf, fieldValidationOf, parseBody, warningHeaders, type FieldValidation } from './decode.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, VERSION_INFO } from './discovery.js';
import { openApiV2Document, openApiV3Document, openApiV3Index } from './openapi.js';
import { applyPatch, mergeApplied } from './patch.js';
import { Faults, Rbac, type AccessAttributes } from './rbac.js';
import { Registry, type DeleteOptions, type PropagationPolicy } from './registry.js';
import { chooseProtocol, serveAttach, serveExec } from './streams.js';
import { toTable, wantsTable } from './tables.js';
import { serveLog, serveWatch } from './watch.js';
import { parseRoute, verbOf, type Route } from './router.js';

export { Faults, Rbac, type RbacRule } from './rbac.js';

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
}

export interface KubeSim {
  url: string;
  port: number;
  token: string;
  /** PEM of the CA that signed the serving certificate (also in the kubeconfig). */
  caPem: string;
  store: Store;
  registry: Registry;
  kubelet: Kubelet;
  controllers: Controllers;
  faults: Faults;
  rbac: Rbac;
  requests: RequestRecord[];
  /** A kubeconfig file (YAML) pointing at the simulator with a token user; kubectl and the product both accept it. */
  kubeconfigPath: string;
  /** A client-node KubeConfig for the simulator, optionally with a default namespace. */
  kubeConfig(namespace?: string): KubeConfig;
  /** The kubeconfig document (YAML text), optionally with a default namespace. */
  kubeconfigYaml(namespace?: string): string;
  createNamespace(name: string): void;
  stop(): Promise<void>;
}

export interface KubeSimOptions {
  token?: string;
  namespaces?: string[];
  /** Fixed port (default: any free port). */
  port?: number;
  /** Write the kubeconfig here instead of a temp dir. */
  kubeconfigPath?: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const notFoundPath = (): SimError => new SimError(404, 'NotFound', 'the server could not find the requested resource');
const methodNotAllowed = (): SimError => new SimError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

/** Paths served without authentication (system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

/** The continue token of a paged list: where the next page starts, at which resourceVersion. */
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.start !== 'string') throw new Error('bad');
    return parsed;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const token = options.token ?? `kube-sim-${Math.random().toString(36).slice(2)}`;
  const workRoot = mkdtempSync(join(tmpdir(), 'kube-sim-'));
  const store = new Store();
  const registry = new Registry(store);
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) registry.create(resourceByKind('Namespace'), undefined, { metadata: { name: ns } });
  const kubelet = new Kubelet(registry, workRoot);
  const controllers = new Controllers(registry);
  const faults = new Faults(store);
  const rbac = new Rbac();
  const requests: RequestRecord[] = [];
  const sockets = new Set<Socket>();
  for (const ns of options.namespaces ?? []) registry.create(resourceByKind('Namespace'), undefined, { metadata: { name: ns } });

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
    if (PUBLIC_PATHS.has(path)) return undefined;
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

  const decodeFor = (type: ResourceType, text: string, contentType: string | undefined, validation: FieldValidation): { object: KObject; warnings: string[] } => {
    const media = (contentType ?? 'application/json').split(';')[0]!.trim();
    if (!['application/json', 'application/yaml', ''].includes(media)) {
      throw new SimError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
    }
    return decodeObject(parseBody(text, contentType, type), type, validation);
  };

  const listOf = (type: ResourceType, ns: string | undefined, query: URLSearchParams): { items: KObject[]; metadata: KObject } => {
    const labels = parseSelectorOr400(() => parseLabelSelector(query.get('labelSelector') ?? undefined));
    const fields = parseSelectorOr400(() => parseFieldSelector(query.get('fieldSelector') ?? undefined));
    let items = store.list(type, ns, labels, fields);
    const keyOf = (o: KObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const cont = query.get('continue');
    if (cont) {
      const { start } = decodeContinue(cont);
      items = items.filter((o) => keyOf(o) >= start);
    }
    const limit = Number(query.get('limit') ?? 0);
    const metadata: KObject = { resourceVersion: String(store.resourceVersion) };
    if (limit > 0 && items.length > limit) {
      metadata.continue = encodeContinue(store.resourceVersion, keyOf(items[limit]!));
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    return { items, metadata };
  };

  const deleteOptionsOf = (query: URLSearchParams, body: KObject): DeleteOptions => {
    const policy = (query.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents === true ? 'Orphan' : body.orphanDependents === false ? 'Background' : undefined)) as PropagationPolicy | undefined;
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw new SimError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`, {
        group: 'meta.k8s.io',
        kind: 'DeleteOptions',
        causes: [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"` }],
      });
    }
    const graceText = query.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
    const gracePeriodSeconds = graceText === undefined || graceText === null ? undefined : Number(graceText);
    if (gracePeriodSeconds !== undefined && !Number.isInteger(gracePeriodSeconds)) throw badRequest(`invalid gracePeriodSeconds: ${String(graceText)}`);
    const bodyDryRun = Array.isArray(body.dryRun) ? body.dryRun : [];
    const dryRun = dryRunOf(query, 'DeleteOptions') || bodyDryRun.includes('All');
    return { propagationPolicy: policy, gracePeriodSeconds, preconditions: body.preconditions, dryRun };
  };

  const deletedStatus = (type: ResourceType, obj: KObject): KObject => statusBody(200, '', '', { name: obj.metadata.name, kind: type.resource, group: type.group || undefined, uid: obj.metadata.uid } as never);

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const query = url.searchParams;
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const get = method === 'GET';
    if (path === '/version' && get) return sendJson(res, 200, VERSION_INFO);
    if ((path === '/healthz' || path === '/livez' || path === '/readyz') && get) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end('ok');
    }
    if (path === '/api' && get) return sendJson(res, 200, apiVersions(`127.0.0.1:${port}`));
    if (path === '/apis' && get) return sendJson(res, 200, apiGroupList());
    if (path === '/openapi/v3' && get) return sendJson(res, 200, openApiV3Index());
    if (path.startsWith('/openapi/v3/') && get) {
      const doc = openApiV3Document(path.slice('/openapi/v3/'.length));
      if (!doc) throw notFoundPath();
      return sendJson(res, 200, doc, { 'Cache-Control': 'public, immutable' });
    }
    if (path === '/openapi/v2' && get) {
      if (!/application\/json|\*\/\*/.test(req.headers.accept ?? '*/*')) {
        throw new SimError(406, 'NotAcceptable', 'only application/json is served for /openapi/v2 (kube-sim does not encode protobuf)');
      }
      return sendJson(res, 200, openApiV2Document());
    }
    const seg = path.split('/').filter(Boolean);
    if (get && seg.length === 2 && seg[0] === 'api') {
      const list = apiResourceList(seg[1]!);
      if (!list) throw notFoundPath();
      return sendJson(res, 200, list);
    }
    if (get && seg[0] === 'apis' && (seg.length === 2 || seg.length === 3)) {
      const doc = seg.length === 2 ? apiGroup(seg[1]!) : apiResourceList(`${seg[1]}/${seg[2]}`);
      if (!doc) throw notFoundPath();
      return sendJson(res, 200, doc);
    }
    const route = parseRoute(path);
    if (!route?.type) throw notFoundPath();
    const type = route.type;
    // Self-reviews are open to every authenticated user (system:basic-user), like /version is to all.
    if (!type.createOnly) authorize(method, route, query);
    const ns = type.namespaced ? route.namespace : undefined;
    if (type.namespaced && route.name && !route.namespace) throw notFoundPath();

    if (type.createOnly) {
      if (method !== 'POST' || route.name) throw methodNotAllowed();
      const validation = fieldValidationOf(query);
      const { object: review, warnings } = decodeFor(type, await readBody(req), req.headers['content-type'], validation);
      registry.create(type, undefined, { ...review, metadata: { ...(review.metadata ?? {}), name: 'review' } }, { dryRun: true });
      const a = review.spec?.resourceAttributes ?? {};
      const allowed = rbac.allowed({ verb: a.verb, group: a.group ?? '', resource: a.resource, subresource: a.subresource, namespace: a.namespace, name: a.name });
      return sendJson(res, 201, { ...review, metadata: { creationTimestamp: null }, status: { allowed, ...(allowed ? {} : { reason: 'no RBAC policy matched' }) } }, warnings.length ? { Warning: warningHeaders(warnings) } : {});
    }

    if (!route.name) {
      if (method === 'GET') {
        const labels = parseSelectorOr400(() => parseLabelSelector(query.get('labelSelector') ?? undefined));
        const fields = parseSelectorOr400(() => parseFieldSelector(query.get('fieldSelector') ?? undefined));
        if (query.get('watch') === 'true' || query.get('watch') === '1') return serveWatch(store, faults, res, type, ns, labels, fields, query);
        const { items, metadata } = listOf(type, ns, query);
        if (wantsTable(req.headers.accept)) return sendJson(res, 200, toTable(type, items, metadata));
        return sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata, items });
      }
      if (method === 'POST') {
        if (type.namespaced && !route.namespace) throw methodNotAllowed();
        const validation = fieldValidationOf(query);
        const dryRun = dryRunOf(query, 'CreateOptions');
        const { object, warnings } = decodeFor(type, await readBody(req), req.headers['content-type'], validation);
        const created = registry.create(type, ns, object, { dryRun });
        return sendJson(res, 201, created, warnings.length ? { Warning: warningHeaders(warnings) } : {});
      }
      if (method === 'DELETE') {
        const text = await readBody(req);
        const opts = deleteOptionsOf(query, text ? (parseBody(text, 'application/json', undefined) as KObject) : {});
        const { items } = listOf(type, ns, query);
        const out = items.map((item) => registry.delete(type, item.metadata.namespace, item.metadata.name, opts).object);
        return sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(store.resourceVersion) }, items: out });
      }
      throw methodNotAllowed();
    }

    const name = route.name;
    const sub = route.subresource;
    if (sub === 'log' && type.kind === 'Pod' && get) return serveLog(req, res, kubelet.logsOf(ns!, name, query.get('container') ?? undefined, query.get('previous') === 'true'), query);
    if (sub === 'scale' && type.subresources?.includes('scale')) return serveScale(req, res, type, ns, name, method, query);
    if (sub && !(sub === 'status' && type.subresources?.includes('status'))) throw notFoundPath();
    const status = sub === 'status';
    switch (method) {
      case 'GET': {
        const obj = store.get(type, ns, name);
        return sendJson(res, 200, wantsTable(req.headers.accept) ? toTable(type, [obj], { resourceVersion: obj.metadata.resourceVersion }) : obj);
      }
      case 'PUT': {
        const validation = fieldValidationOf(query);
        const dryRun = dryRunOf(query, 'UpdateOptions');
        const { object, warnings } = decodeFor(type, await readBody(req), req.headers['content-type'], validation);
        return sendJson(res, 200, registry.update(type, ns, name, object, { status, dryRun }), warnings.length ? { Warning: warningHeaders(warnings) } : {});
      }
      case 'PATCH': {
        const validation = fieldValidationOf(query);
        const dryRun = dryRunOf(query, 'PatchOptions');
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const text = await readBody(req);
        if (contentType === 'application/apply-patch+yaml') return serverSideApply(res, type, ns, name, text, query, validation, dryRun, status);
        const current = store.get(type, ns, name);
        const patch = parseBody(text, 'application/json', type);
        const patched = applyPatch(current, patch, contentType || 'application/json-patch+json');
        const { object, warnings } = decodeObject(patched, type, validation);
        if (object.metadata) object.metadata.resourceVersion = (patched as KObject).metadata?.resourceVersion ?? current.metadata.resourceVersion;
        return sendJson(res, 200, registry.update(type, ns, name, object, { status, dryRun }), warnings.length ? { Warning: warningHeaders(warnings) } : {});
      }
      case 'DELETE': {
        const text = await readBody(req);
        const opts = deleteOptionsOf(query, text ? (parseBody(text, 'application/json', undefined) as KObject) : {});
        const result = registry.delete(type, ns, name, opts);
        return sendJson(res, 200, result.deleted && type.kind !== 'Pod' ? deletedStatus(type, result.object) : result.object);
      }
      default:
        throw methodNotAllowed();
    }
  };

  /** PATCH with application/apply-patch+yaml: create if absent, else merge the applied configuration; managedFields records the manager. */
  const serverSideApply = (res: ServerResponse, type: ResourceType, ns: string | undefined, name: string, text: string, query: URLSearchParams, validation: FieldValidation, dryRun: boolean, status: boolean): void => {
    const manager = query.get('fieldManager');
    if (!manager) {
      throw new SimError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`, {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    }
    const body = parseBody(text, 'application/apply-patch+yaml', type);
    // Apply always validates strictly: unknown fields in an applied configuration are an error.
    const { object: applied, warnings } = decodeObject(body, type, validation === 'Ignore' ? 'Ignore' : 'Strict');
    if (applied.metadata?.name && applied.metadata.name !== name) throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    const entry = { manager, operation: 'Apply', apiVersion: apiVersionOf(type), time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fieldsType: 'FieldsV1', fieldsV1: fieldsV1Of(applied) };
    const current = store.tryGet(type, ns, name);
    if (!current) {
      const obj = { ...applied, metadata: { ...(applied.metadata ?? {}), name, managedFields: [entry] } };
      const created = registry.create(type, ns, obj, { dryRun });
      if (!dryRun) lastApplied.set(`${created.metadata.uid}/${manager}`, applied);
      return sendJson(res, 201, created, warnings.length ? { Warning: warningHeaders(warnings) } : {});
    }
    let merged = mergeApplied(current, status ? { status: applied.status } : { ...applied, status: undefined });
    // Fields this manager applied last time and no longer applies are removed (its ownership ends).
    const previous = lastApplied.get(`${current.metadata.uid}/${manager}`);
    if (previous && !status) merged = pruneUnapplied(merged, previous, applied);
    if (!dryRun) lastApplied.set(`${current.metadata.uid}/${manager}`, applied);
    const others = ((current.metadata.managedFields ?? []) as KObject[]).filter((m) => !(m.manager === manager && m.operation === 'Apply'));
    merged.metadata.managedFields = [...others, entry];
    delete merged.metadata.resourceVersion;
    return sendJson(res, 200, registry.update(type, ns, name, merged, { status, dryRun }), warnings.length ? { Warning: warningHeaders(warnings) } : {});
  };

  /** autoscaling/v1 Scale for deployments and replicasets. */
  const serveScale = async (req: IncomingMessage, res: ServerResponse, type: ResourceType, ns: string | undefined, name: string, method: string, query: URLSearchParams): Promise<void> => {
    const toScale = (o: KObject): KObject => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace: ns, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: o.spec?.replicas ?? 0 },
      status: {
        replicas: o.status?.replicas ?? 0,
        selector: Object.entries((o.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    });
    const current = store.get(type, ns, name);
    if (method === 'GET') return sendJson(res, 200, toScale(current));
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
    const dryRun = dryRunOf(query, method === 'PUT' ? 'UpdateOptions' : 'PatchOptions');
    const text = await readBody(req);
    let scale = parseBody(text, 'application/json', undefined) as KObject;
    if (method === 'PATCH') scale = applyPatch(toScale(current), scale, req.headers['content-type'] ?? 'application/merge-patch+json');
    const replicas = scale?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new SimError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, {
        name,
        group: 'autoscaling',
        kind: 'Scale',
        causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }],
      });
    }
    if (scale.metadata?.resourceVersion && scale.metadata.resourceVersion !== current.metadata.resourceVersion && method === 'PUT') {
      throw new SimError(409, 'Conflict', `Operation cannot be fulfilled on ${type.resource}.${type.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`, {
        name,
        group: type.group,
        kind: type.resource,
      });
    }
    const updated = registry.update(type, ns, name, { ...current, spec: { ...current.spec, replicas } }, { dryRun });
    return sendJson(res, 200, toScale(updated));
  };

  /** Each manager's last applied configuration per object (uid/manager), for server-side apply's pruning. */
  const lastApplied = new Map<string, KObject>();
  const cert = selfSignedCertificate('kube-sim-ca');
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
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
      else {
        // A simulator bug must not look like a transient server fault the client would retry.
        process.stderr.write(`kube-sim: internal error on ${req.method} ${url.pathname}: ${(err as Error).stack}\n`);
        sendJson(res, 400, statusBody(400, 'BadRequest', `kube-sim could not handle this request: ${(err as Error).message}`));
      }
    });
  };
  const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, onRequest);

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => chooseProtocol(offered) });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push({ method: 'UPGRADE', path: url.pathname + url.search, status: 101 });
    const reject = (code: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
          Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('') +
          `\r\n${text}`,
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
        const child = kubelet.exec(route.namespace, route.name, container, command, q.get('tty') === 'true');
        wss.handleUpgrade(req, socket, head, (ws) => serveExec(ws, child, command, { stdout: q.get('stdout') !== 'false', stderr: q.get('stderr') !== 'false' }));
      } else {
        const target = kubelet.attachTarget(route.namespace, route.name, container);
        wss.handleUpgrade(req, socket, head, (ws) => serveAttach(ws, target, { stdin: q.get('stdin') === 'true' }));
      }
    } catch (err) {
      if (err instanceof SimError) reject(err.code, err.toStatus());
      else reject(400, statusBody(400, 'BadRequest', (err as Error).message));
    }
  });

  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;

  const configFor = (namespace?: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-sim', cluster: { server: url, 'certificate-authority-data': Buffer.from(cert.certPem).toString('base64') } }],
    users: [{ name: 'kube-sim-user', user: { token } }],
    contexts: [{ name: 'kube-sim', context: { cluster: 'kube-sim', user: 'kube-sim-user', ...(namespace ? { namespace } : {}) } }],
    'current-context': 'kube-sim',
  });
  const kubeconfigPath = options.kubeconfigPath ?? join(workRoot, 'kubeconfig.yaml');
  writeFileSync(kubeconfigPath, stringify(configFor()), { mode: 0o600 });

  return {
    url,
    port,
    token,
    caPem: cert.certPem,
    store,
    registry,
    kubelet,
    controllers,
    faults,
    rbac,
    requests,
    kubeconfigPath,
    kubeConfig: (namespace?: string) => {
      const kc = new KubeConfig();
      kc.loadFromString(JSON.stringify(configFor(namespace)));
      return kc;
    },
    kubeconfigYaml: (namespace?: string) => stringify(configFor(namespace)),
    createNamespace: (name: string) => {
      registry.create(resourceByKind('Namespace'), undefined, { metadata: { name } });
    },
    stop: async () => {
      controllers.stop();
      for (const w of [...faults.openWatches]) w.destroy();
      for (const c of wss.clients) c.terminate();
      await kubelet.stop();
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}

/**
 * Removes from `live` what `previous` applied and `next` no longer does: map keys, and list items
 * by name. Identity and system metadata are kept. (Co-ownership by other managers is not tracked.)
 */
function pruneUnapplied(live: KObject, previous: KObject, next: KObject, depth = 0): KObject {
  for (const [k, prev] of Object.entries(previous)) {
    if (depth === 0 && (k === 'apiVersion' || k === 'kind' || k === 'status')) continue;
    if (depth === 0 && k === 'metadata') {
      for (const mk of ['labels', 'annotations']) {
        if (prev?.[mk] && live.metadata?.[mk]) pruneUnapplied(live.metadata[mk], prev[mk], next.metadata?.[mk] ?? {}, 1);
      }
      continue;
    }
    if (!(k in next) || next[k] === undefined) {
      delete live[k];
      continue;
    }
    const cur = live[k];
    const nxt = next[k];
    if (Array.isArray(prev) && Array.isArray(nxt) && Array.isArray(cur) && prev.every((i) => i && typeof i === 'object' && 'name' in i)) {
      const keep = new Set(nxt.map((i: KObject) => i?.name));
      live[k] = cur.filter((i: KObject) => !(prev.some((p: KObject) => p.name === i?.name) && !keep.has(i?.name)));
      for (const item of live[k] as KObject[]) {
        const was = prev.find((p: KObject) => p.name === item?.name);
        const now = nxt.find((n: KObject) => n?.name === item?.name);
        if (was && now) pruneUnapplied(item, was, now, depth + 1);
      }
    } else if (prev && typeof prev === 'object' && !Array.isArray(prev) && cur && typeof cur === 'object' && nxt && typeof nxt === 'object') {
      pruneUnapplied(cur, prev, nxt, depth + 1);
    }
  }
  return live;
}

/** managedFields' FieldsV1 set for an applied configuration (`f:` fields, `k:` keyed list items). */
function fieldsV1Of(obj: unknown, field = ''): Record<string, unknown> {
  if (!obj || typeof obj !== 'object') return {};
  const out: Record<string, unknown> = {};
  if (Array.isArray(obj)) {
    for (const item of obj) {
      if (item && typeof item === 'object' && 'name' in item) out[`k:${JSON.stringify({ name: item.name })}`] = { '.': {}, ...fieldsV1Of(item) };
      else out[`v:${JSON.stringify(item)}`] = {};
    }
    return out;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (!field && (k === 'apiVersion' || k === 'kind' || k === 'status')) continue;
    if (field === '' && k === 'metadata') {
      const meta = v as Record<string, unknown>;
      const m: Record<string, unknown> = {};
      for (const mk of ['labels', 'annotations']) if (meta[mk]) m[`f:${mk}`] = fieldsV1Of(meta[mk], mk);
      if (Object.keys(m).length) out['f:metadata'] = m;
      continue;
    }
    out[`f:${k}`] = v && typeof v === 'object' ? fieldsV1Of(v, k) : {};
  }
  return out;
}

function parseSelectorOr400<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}
