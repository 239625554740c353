export const id = 696;
export const ids = [696];
export const modules = {

/***/ 2696:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  KanikoBuilder: () => (/* binding */ KanikoBuilder)
});

// UNUSED EXPORTS: DEFAULT_CONTEXT_IMAGE, DEFAULT_EXECUTOR_IMAGE, KANIKO_PERMISSIONS, contextTarball, explainPodProblem, kanikoArgs, kanikoPod, smokePod

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./node_modules/tar-stream/index.js
var tar_stream = __webpack_require__(6118);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: ./node_modules/@kubernetes/client-node/dist/index.js + 828 modules
var dist = __webpack_require__(7048);
;// CONCATENATED MODULE: ./src/kube/errors.ts
// Kubernetes errors for people: the API server's own `Status` message and reason, never the
// client library's dump of headers and body.

class KubeError extends errors/* UserError */.yo {
    status;
    reason;
    retryAfterSeconds;
    constructor(message, status, reason, retryAfterSeconds) {
        super(message);
        this.status = status;
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
        this.name = 'KubeError';
    }
}
function parseStatus(body) {
    if (body && typeof body === 'object')
        return body;
    if (typeof body !== 'string' || !body.trim().startsWith('{'))
        return undefined;
    try {
        return JSON.parse(body);
    }
    catch {
        return undefined;
    }
}
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
/** HTTP status of a client-node error (ApiException `code`, watch `statusCode`, websocket handshake text). */
function httpStatusOf(err) {
    if (err instanceof KubeError)
        return err.status;
    const e = err;
    if (typeof e?.code === 'number')
        return e.code;
    if (typeof e?.statusCode === 'number')
        return e.statusCode;
    const m = typeof e?.message === 'string' ? /Unexpected server response: (\d{3})/.exec(e.message) : null;
    return m ? Number(m[1]) : undefined;
}
function isNetworkError(err) {
    const e = err;
    if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code))
        return true;
    if (e?.type === 'system')
        return true; // node-fetch FetchError from a socket
    if (typeof e?.message === 'string' && /socket hang up|Premature close|ECONNRESET|ECONNREFUSED/.test(e.message))
        return true;
    return e?.cause ? isNetworkError(e.cause) : false;
}
/** Seconds from a Retry-After header (client-node lower-cases header names). */
function retryAfterOf(err) {
    if (err instanceof KubeError)
        return err.retryAfterSeconds;
    const headers = err?.headers;
    const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
    if (value === undefined)
        return undefined;
    const seconds = Number(value);
    return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
/** Turns any error from client-node into a KubeError saying what was being done and why it failed. */
function toKubeError(err, doing) {
    if (err instanceof KubeError)
        return err;
    const status = httpStatusOf(err);
    const body = parseStatus(err?.body);
    if (status !== undefined) {
        const why = body?.message || (status === 401 ? 'Unauthorized: the credentials were rejected' : `HTTP ${status}`);
        const reason = body?.reason;
        return new KubeError(`${doing}: ${why}${reason ? ` (${reason})` : ''}`, status, reason, retryAfterOf(err));
    }
    const message = err instanceof Error ? err.message : String(err);
    if (isNetworkError(err))
        return new KubeError(`${doing}: cannot reach the Kubernetes API server (${message})`);
    return new KubeError(`${doing}: ${message}`);
}

;// CONCATENATED MODULE: ./src/kube/retry.ts
// Retries for transient Kubernetes API failures: 429 (honouring Retry-After), 5xx and dropped
// connections, with capped exponential backoff.

const DEFAULT_RETRY = { attempts: 6, baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 30000 };
function isTransient(err) {
    const status = httpStatusOf(err);
    if (status !== undefined)
        return status === 429 || (status >= 500 && status !== 501);
    return isNetworkError(err);
}
/**
 * Delay before retry number `attempt` (1 for the first retry): exponential, capped, with up to 25%
 * jitter below the cap; a Retry-After, when given, is the floor (itself capped).
 */
function backoffDelay(attempt, options, retryAfterSeconds, random = Math.random) {
    const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(exponential * (0.75 + 0.25 * random()));
    if (retryAfterSeconds === undefined)
        return jittered;
    return Math.min(options.maxRetryAfterMs, Math.max(jittered, retryAfterSeconds * 1000));
}
function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted)
            return reject(signal.reason);
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}
/**
 * Runs `fn`, retrying transient failures. Other errors, and the last transient one, are thrown as
 * a KubeError that says what was being done. `onRetry` hears about each retry (for logs).
 */
async function withRetry(doing, fn, options = DEFAULT_RETRY, hooks = {}) {
    for (let attempt = 1;; attempt++) {
        try {
            return await fn(attempt);
        }
        catch (err) {
            if (hooks.signal?.aborted)
                throw hooks.signal.reason;
            if (!isTransient(err) || attempt >= options.attempts) {
                const kubeError = toKubeError(err, doing);
                throw attempt > 1 && isTransient(err) ? Object.assign(kubeError, { message: `${kubeError.message} (gave up after ${attempt} attempts)` }) : kubeError;
            }
            const delay = backoffDelay(attempt, options, retryAfterOf(err));
            hooks.onRetry?.(`${toKubeError(err, doing).message}; retrying in ${delay} ms`, delay);
            await sleep(delay, hooks.signal);
        }
    }
}

;// CONCATENATED MODULE: ./src/kube/client.ts
// The one module that talks to the Kubernetes API (through @kubernetes/client-node). Everything
// here retries transient failures (429 with Retry-After, 5xx, dropped connections), turns errors
// into messages from the server's Status, and watches resume after a drop (from the last
// resourceVersion seen) and relist after 410 Gone.








const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
/** How a kubeconfig is chosen: explicit path, $KUBECONFIG, the in-cluster service account, ~/.kube/config. */
function loadKubeConfig(options = {}, env = process.env) {
    const kc = new dist/* KubeConfig */.ypW();
    try {
        if (options.kubeconfigPath) {
            if (!(0,external_node_fs_.existsSync)(options.kubeconfigPath))
                throw new errors/* UserError */.yo(`kubeconfig not found: ${options.kubeconfigPath}`);
            kc.loadFromFile(options.kubeconfigPath);
        }
        else if (!env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST) {
            kc.loadFromCluster();
        }
        else {
            const path = env.KUBECONFIG ? undefined : (0,external_node_path_.join)(env.HOME ?? (0,external_node_os_.homedir)(), '.kube', 'config');
            // loadFromDefault would fall back to http://localhost:8080; say what is missing instead.
            if (path && !(0,external_node_fs_.existsSync)(path)) {
                throw new errors/* UserError */.yo('no Kubernetes configuration: set KUBECONFIG, pass a kubeconfig path, or run the job inside the cluster (a self-hosted runner pod)');
            }
            kc.loadFromDefault();
        }
    }
    catch (err) {
        if (err instanceof errors/* UserError */.yo)
            throw err;
        throw new errors/* UserError */.yo(`cannot load the Kubernetes configuration: ${err.message}`);
    }
    if (options.context) {
        if (!kc.getContextObject(options.context)) {
            throw new errors/* UserError */.yo(`kubeconfig has no context '${options.context}' (known: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
        }
        kc.setCurrentContext(options.context);
    }
    if (!kc.getCurrentCluster())
        throw new errors/* UserError */.yo('no Kubernetes cluster configured: set KUBECONFIG, pass a kubeconfig path, or run inside a cluster');
    return kc;
}
class KubeClient {
    kc;
    core;
    apps;
    authz;
    retry;
    onRetry;
    constructor(options = {}) {
        this.kc = options.kubeConfig ?? loadKubeConfig(options);
        this.core = this.kc.makeApiClient(dist/* CoreV1Api */.f5Y);
        this.apps = this.kc.makeApiClient(dist/* AppsV1Api */.eY6);
        this.authz = this.kc.makeApiClient(dist/* AuthorizationV1Api */.NwU);
        this.retry = { ...DEFAULT_RETRY, ...options.retry };
        this.onRetry = options.onRetry;
    }
    get server() {
        return this.kc.getCurrentCluster()?.server ?? '';
    }
    /** The namespace of the current context, else the in-cluster one, else `default`. */
    defaultNamespace() {
        const fromContext = this.kc.getContextObject(this.kc.getCurrentContext())?.namespace;
        if (fromContext)
            return fromContext;
        if ((0,external_node_fs_.existsSync)(IN_CLUSTER_NAMESPACE_FILE))
            return (0,external_node_fs_.readFileSync)(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim();
        return 'default';
    }
    /** One API call with retries and a readable error. */
    call(doing, fn, signal) {
        return withRetry(doing, fn, this.retry, { signal, onRetry: (m) => this.onRetry?.(m) });
    }
    // ---- pods and secrets ----
    /**
     * Creates an object; when a retried create meets 409 AlreadyExists, the first attempt did land
     * (its response was lost), so the existing object is returned.
     */
    async createIdempotent(doing, create, read, signal) {
        return this.call(doing, async (attempt) => {
            try {
                return await create();
            }
            catch (err) {
                if (attempt > 1 && httpStatusOf(err) === 409)
                    return read();
                throw err;
            }
        }, signal);
    }
    createPod(namespace, body, signal) {
        const name = body.metadata.name;
        return this.createIdempotent(`creating pod ${namespace}/${name}`, () => this.core.createNamespacedPod({ namespace, body }), () => this.core.readNamespacedPod({ namespace, name }), signal);
    }
    readPod(namespace, name, signal) {
        return this.call(`reading pod ${namespace}/${name}`, () => this.core.readNamespacedPod({ namespace, name }), signal);
    }
    createSecret(namespace, body, signal) {
        const name = body.metadata.name;
        return this.createIdempotent(`creating secret ${namespace}/${name}`, () => this.core.createNamespacedSecret({ namespace, body }), () => this.core.readNamespacedSecret({ namespace, name }), signal);
    }
    /** Reads a secret; undefined when it does not exist. */
    async findSecret(namespace, name) {
        try {
            return await this.call(`reading secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ namespace, name }));
        }
        catch (err) {
            if (err instanceof KubeError && err.status === 404)
                return undefined;
            throw err;
        }
    }
    /** Deletes a pod (a short grace period: builds are throwaway); a pod already gone is fine. */
    async deletePod(namespace, name) {
        await this.ignoreNotFound(this.call(`deleting pod ${namespace}/${name}`, () => this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 1, propagationPolicy: 'Background' })));
    }
    async deleteSecret(namespace, name) {
        await this.ignoreNotFound(this.call(`deleting secret ${namespace}/${name}`, () => this.core.deleteNamespacedSecret({ namespace, name })));
    }
    async ignoreNotFound(p) {
        try {
            await p;
        }
        catch (err) {
            if (!(err instanceof KubeError && err.status === 404))
                throw err;
        }
    }
    async listPods(namespace, labelSelector) {
        return (await this.call(`listing pods in ${namespace}`, () => this.core.listNamespacedPod({ namespace, labelSelector }))).items;
    }
    async listSecrets(namespace, labelSelector) {
        return (await this.call(`listing secrets in ${namespace}`, () => this.core.listNamespacedSecret({ namespace, labelSelector }))).items;
    }
    /** Deletes every pod and secret matching the selector; returns what it deleted. */
    async deleteLabelled(namespace, labelSelector) {
        const [pods, secrets] = await Promise.all([this.listPods(namespace, labelSelector), this.listSecrets(namespace, labelSelector)]);
        await Promise.all([
            ...pods.map((p) => this.deletePod(namespace, p.metadata.name)),
            ...secrets.map((s) => this.deleteSecret(namespace, s.metadata.name)),
        ]);
        return { pods: pods.map((p) => p.metadata.name), secrets: secrets.map((s) => s.metadata.name) };
    }
    /** Waits until no pod matches the selector any more (graceful deletion takes a moment). */
    async waitForNoPods(namespace, labelSelector, timeoutMs = 30000) {
        const deadline = Date.now() + timeoutMs;
        while ((await this.listPods(namespace, labelSelector)).length > 0) {
            if (Date.now() > deadline)
                return;
            await sleep(100);
        }
    }
    /** Waits until a pod no longer exists (graceful deletion takes a moment). */
    async waitForPodGone(namespace, name, timeoutMs = 30000) {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            try {
                await this.core.readNamespacedPod({ namespace, name });
            }
            catch (err) {
                if (httpStatusOf(err) === 404)
                    return;
            }
            await sleep(100);
        }
    }
    // ---- RBAC ----
    /** The permissions (of `wanted`) this identity lacks in `namespace`, via SelfSubjectAccessReview. */
    async missingPermissions(namespace, wanted) {
        const answers = await Promise.all(wanted.map(async (p) => {
            const review = await this.call(`checking permission to ${describePermission(p)}`, () => this.authz.createSelfSubjectAccessReview({
                body: { spec: { resourceAttributes: { namespace, verb: p.verb, resource: p.resource, subresource: p.subresource, group: p.group ?? '' } } },
            }));
            return review.status?.allowed ? undefined : p;
        }));
        return answers.filter((p) => p !== undefined);
    }
    /** Fails with one message naming every missing permission. */
    async preflight(namespace, wanted, purpose) {
        const missing = await this.missingPermissions(namespace, wanted);
        if (missing.length === 0)
            return;
        throw new errors/* UserError */.yo(`the Kubernetes identity in use may not ${purpose} in namespace '${namespace}'; it lacks:\n` +
            missing.map((p) => `  - ${describePermission(p)}`).join('\n') +
            `\nGrant them with a Role and RoleBinding (see docs/kubernetes.md).`);
    }
    // ---- exec and logs ----
    /**
     * Runs a command in a container over the exec websocket, feeding `stdin` (made fresh per try:
     * the handshake is retried on transient errors, never a half-sent stream).
     */
    async exec(namespace, pod, container, command, options = {}) {
        const exec = new dist/* Exec */.WoD(this.kc);
        const stdout = new external_node_stream_.PassThrough();
        const stderr = new external_node_stream_.PassThrough();
        let out = '';
        let err = '';
        stdout.on('data', (d) => (out += d.toString()));
        stderr.on('data', (d) => (err += d.toString()));
        let status;
        const doing = `running '${command.join(' ')}' in pod ${namespace}/${pod}`;
        const ws = await this.call(doing, () => exec.exec(namespace, pod, container, command, stdout, stderr, options.stdin ? options.stdin() : null, false, (s) => (status = s)), options.signal);
        await new Promise((resolve, reject) => {
            const onAbort = () => {
                ws.close();
                reject(options.signal.reason);
            };
            options.signal?.addEventListener('abort', onAbort, { once: true });
            ws.addEventListener('close', () => {
                options.signal?.removeEventListener('abort', onAbort);
                resolve();
            });
            ws.addEventListener('error', (e) => reject(toKubeError(e, doing)));
        });
        return { exitCode: exitCodeOf(status, doing), stdout: out, stderr: err };
    }
    /**
     * Follows a container's log, calling `onLine` per line, until the container ends, the stream
     * drops, or `signal` aborts. Resolves either way; `false` if the stream broke before its end.
     */
    async followLog(namespace, pod, container, onLine, signal) {
        const stream = new external_node_stream_.PassThrough();
        let pending = '';
        stream.on('data', (d) => {
            pending += d.toString('utf8');
            const lines = pending.split('\n');
            pending = lines.pop();
            for (const line of lines)
                onLine(line.replace(/\r$/, ''));
        });
        const ended = new Promise((resolve) => {
            stream.on('end', () => resolve(true));
            stream.on('error', () => resolve(false));
            stream.on('close', () => resolve(false));
        });
        const controller = await this.call(`following the log of ${namespace}/${pod}`, () => new dist/* Log */.tG8(this.kc).log(namespace, pod, container, stream, { follow: true }), signal);
        const onAbort = () => {
            controller.abort();
            stream.destroy();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const complete = await ended;
        signal?.removeEventListener('abort', onAbort);
        if (pending)
            onLine(pending);
        return complete;
    }
    /** The last lines of a container's log ('' if there is none). */
    async logTail(namespace, pod, container, lines) {
        try {
            return await this.call(`reading the log of ${namespace}/${pod}`, () => this.core.readNamespacedPodLog({ namespace, name: pod, container, tailLines: lines }));
        }
        catch {
            return '';
        }
    }
    // ---- watches ----
    /**
     * Watches one pod until `decide` returns a value (or throws). The watch resumes from the last
     * resourceVersion after a dropped connection and relists after 410 Gone; gives up after
     * `timeoutMs` or when `signal` aborts.
     */
    async watchPod(namespace, name, decide, options = {}) {
        return this.watchUntil({
            path: `/api/v1/namespaces/${namespace}/pods`,
            fieldSelector: `metadata.name=${name}`,
            list: async () => {
                const list = await this.core.listNamespacedPod({ namespace, fieldSelector: `metadata.name=${name}` });
                return { items: list.items, resourceVersion: list.metadata?.resourceVersion };
            },
            decide,
            onDeleted: () => {
                throw new KubeError(`pod ${namespace}/${name} was deleted`, 404, 'NotFound');
            },
            what: `pod ${namespace}/${name}`,
            ...options,
        });
    }
    /** The generic resumable watch behind watchPod (exported for deployments later). */
    async watchUntil(spec) {
        const watch = new dist/* Watch */.ox1(this.kc);
        let resourceVersion;
        let failures = 0;
        const deadline = spec.timeoutMs ? Date.now() + spec.timeoutMs : Infinity;
        const timedOut = () => new KubeError(`timed out after ${Math.round(spec.timeoutMs / 1000)} s waiting for ${spec.what}`);
        for (;;) {
            if (spec.signal?.aborted)
                throw spec.signal.reason;
            if (Date.now() > deadline)
                throw timedOut();
            if (resourceVersion === undefined) {
                const listed = await this.call(`listing ${spec.what}`, () => spec.list(), spec.signal);
                for (const item of listed.items) {
                    const result = spec.decide(item);
                    if (result !== undefined)
                        return result;
                }
                resourceVersion = listed.resourceVersion;
            }
            const started = Date.now();
            const outcome = await new Promise((resolve) => {
                let settled = false;
                let controller;
                const settle = (value) => {
                    if (settled)
                        return;
                    settled = true;
                    clearTimeout(timer);
                    spec.signal?.removeEventListener('abort', onAbort);
                    controller?.abort();
                    resolve(value);
                };
                const onAbort = () => settle({ error: spec.signal.reason });
                spec.signal?.addEventListener('abort', onAbort, { once: true });
                const timer = setTimeout(() => settle({ error: timedOut() }), Math.min(deadline - Date.now(), 2 ** 31 - 1));
                const query = { resourceVersion: resourceVersion ?? '', allowWatchBookmarks: 'true' };
                if (spec.fieldSelector)
                    query.fieldSelector = spec.fieldSelector;
                if (spec.labelSelector)
                    query.labelSelector = spec.labelSelector;
                watch
                    .watch(spec.path, query, (type, obj) => {
                    if (settled)
                        return;
                    if (type === 'ERROR') {
                        if (obj?.code === 410)
                            settle({ gone: true });
                        else
                            settle({ failed: new KubeError(`watching ${spec.what}: ${obj?.message ?? 'error event'}`, obj?.code, obj?.reason) });
                        return;
                    }
                    if (obj?.metadata?.resourceVersion)
                        resourceVersion = obj.metadata.resourceVersion;
                    failures = 0;
                    if (type === 'BOOKMARK')
                        return;
                    try {
                        const result = type === 'DELETED' ? spec.onDeleted?.(obj) : spec.decide(obj);
                        if (result !== undefined)
                            settle({ result });
                    }
                    catch (error) {
                        settle({ error });
                    }
                }, (err) => settle(httpStatusOf(err) === 410 ? { gone: true } : { failed: err ?? new Error('watch closed by the server') }))
                    .then((c) => {
                    controller = c;
                    if (settled)
                        c.abort();
                }, (err) => settle({ failed: err }));
            });
            if (outcome.error !== undefined)
                throw outcome.error;
            if ('result' in outcome && outcome.result !== undefined)
                return outcome.result;
            if (outcome.gone) {
                this.onRetry?.(`watch of ${spec.what}: resourceVersion ${resourceVersion} expired (410 Gone); relisting`);
                resourceVersion = undefined;
                continue;
            }
            // A watch that ran a while and then ended is normal (servers close watches every few minutes).
            failures = Date.now() - started > 5000 ? 1 : failures + 1;
            if (failures > this.retry.attempts)
                throw toKubeError(outcome.failed, `watching ${spec.what} (gave up after ${failures} broken watches)`);
            const delay = failures === 1 ? 0 : backoffDelay(failures - 1, this.retry);
            this.onRetry?.(`watch of ${spec.what} dropped (${toKubeError(outcome.failed, 'watch').message}); resuming from resourceVersion ${resourceVersion ?? '(relist)'}`);
            await sleep(delay, spec.signal);
        }
    }
}
function describePermission(p) {
    const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
    return `${p.verb} ${resource}${p.group ? ` (API group ${p.group})` : ''}`;
}
/** Exit code from an exec status: 0 on Success, the ExitCode cause on NonZeroExitCode. */
function exitCodeOf(status, doing) {
    if (!status)
        return undefined;
    if (status.status === 'Success')
        return 0;
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    if (status.reason === 'NonZeroExitCode' && cause?.message)
        return Number(cause.message);
    throw new KubeError(`${doing}: ${status.message ?? 'exec failed'}`, status.code, status.reason);
}

;// CONCATENATED MODULE: ./src/kube/labels.ts
// Labels on everything build-image creates in a cluster, so one label selector finds (and
// cleans up) a run's pods and secrets.
const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const MANAGED_BY_VALUE = 'build-image';
const RUN_ID_LABEL = 'build-image.coder.com/run-id';
const IMAGE_LABEL = 'build-image.coder.com/image';
const COMPONENT_LABEL = 'app.kubernetes.io/component';
/** A label value: at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric. */
function labelValue(text) {
    const cleaned = text.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
    return cleaned;
}
/** The labels every object of one run carries. */
function managedLabels(runId, extra = {}) {
    const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: labelValue(runId) };
    for (const [k, v] of Object.entries(extra))
        labels[k] = labelValue(v);
    return labels;
}
/** The selector that matches everything one run created. */
function runSelector(runId) {
    return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${RUN_ID_LABEL}=${labelValue(runId)}`;
}
/**
 * An object name (RFC 1123 label, at most 63 characters) from free text plus a unique suffix:
 * `("Enterprise Dev", "a1b2c")` -> `enterprise-dev-a1b2c`.
 */
function objectName(prefix, text, suffix) {
    const clean = (s) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
    const tail = clean(suffix);
    const head = [clean(prefix), clean(text)].filter(Boolean).join('-');
    const room = 63 - tail.length - 1;
    return `${head.slice(0, room).replace(/-+$/, '')}-${tail}`;
}

;// CONCATENATED MODULE: ./src/kube/manifests.ts
/** An owner reference to a pod, so the garbage collector removes dependents with it. */
function podOwnerReference(pod) {
    return { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid, blockOwnerDeletion: false, controller: false };
}
/** A `kubernetes.io/dockerconfigjson` Secret holding a docker config.json. */
function dockerConfigSecret(input) {
    return {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
            name: input.name,
            namespace: input.namespace,
            labels: input.labels,
            ...(input.ownerReferences?.length ? { ownerReferences: input.ownerReferences } : {}),
        },
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': Buffer.from(input.dockerConfigJson, 'utf8').toString('base64') },
    };
}
/** A copy of an object for printing: secret data replaced by a placeholder. */
function redactSecretData(obj) {
    if (obj.kind !== 'Secret' || !obj.data)
        return obj;
    return { ...obj, data: Object.fromEntries(Object.keys(obj.data).map((k) => [k, '<redacted>'])) };
}

// EXTERNAL MODULE: ./src/registry/credentials.ts
var credentials = __webpack_require__(3653);
;// CONCATENATED MODULE: ./src/build/kaniko-plan.ts


/**
 * kaniko's maintained community fork (GoogleContainerTools/kaniko was archived in June 2025):
 * https://github.com/osscontainertools/kaniko, images on ghcr.io. Pinned; override with
 * `executorImage`.
 */
const DEFAULT_EXECUTOR_IMAGE = 'ghcr.io/osscontainertools/kaniko:v1.28.5';
/** The same release's `-debug` image has a busybox shell and tar: it receives the build context. */
const DEFAULT_CONTEXT_IMAGE = 'ghcr.io/osscontainertools/kaniko:v1.28.5-debug';
/** Where things live in the build pod's shared emptyDir (see docs/kubernetes.md). */
const WORKSPACE = '/workspace';
const CONTEXT_DIR = `${WORKSPACE}/context`;
const DOCKERFILE_PATH = `${WORKSPACE}/build-image.Dockerfile`;
/** Last entry of the context tarball: its presence proves the whole archive was unpacked. */
const COMPLETE_MARKER = '.build-image-complete';
/** Touched by the builder after the upload; the init container exits when it appears. */
const READY_MARKER = `${WORKSPACE}/.build-image-ready`;
const DOCKER_CONFIG_DIR = '/kaniko/.docker';
const TERMINATION_LOG = '/dev/termination-log';
const CONTEXT_CONTAINER = 'context';
const KANIKO_CONTAINER = 'kaniko';
const SMOKE_CONTAINER = 'smoke';
/** The command the builder execs in the context container, tarball on stdin. */
const UNPACK_COMMAND = ['tar', '-x', '-o', '-f', '-', '-C', WORKSPACE];
const CHECK_COMPLETE_COMMAND = ['test', '-f', `${WORKSPACE}/${COMPLETE_MARKER}`];
const RELEASE_COMMAND = ['touch', READY_MARKER];
const byKey = (record) => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
/** The executor's arguments for one build (order is stable: tests compare whole arrays). */
function kanikoArgs(input) {
    const args = [`--dockerfile=${DOCKERFILE_PATH}`, `--context=dir://${CONTEXT_DIR}`];
    for (const d of input.destinations)
        args.push(`--destination=${d}`);
    for (const [k, v] of byKey(input.buildArgs))
        args.push(`--build-arg=${k}=${v}`);
    for (const [k, v] of byKey(input.labels))
        args.push(`--label=${k}=${v}`);
    for (const host of [...new Set(input.insecureRegistries)].sort()) {
        args.push(`--insecure-registry=${host}`, `--skip-tls-verify-registry=${host}`);
    }
    if (input.cache) {
        args.push('--cache=true');
        if (input.cache.repo)
            args.push(`--cache-repo=${input.cache.repo}`);
        if (input.cache.ttl)
            args.push(`--cache-ttl=${input.cache.ttl}`);
    }
    args.push(`--digest-file=${TERMINATION_LOG}`, `--push-retry=${input.pushRetry ?? 2}`);
    args.push(...(input.extraArgs ?? []));
    return args;
}
function resourcesOf(r) {
    if (!r || (!r.cpu && !r.memory))
        return undefined;
    const amounts = {};
    if (r.cpu)
        amounts.cpu = String(r.cpu);
    if (r.memory)
        amounts.memory = String(r.memory);
    return { requests: { ...amounts }, limits: { ...amounts } };
}
/** kaniko needs root in its container but not privilege: these capabilities cover RUN steps. */
const KANIKO_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID', 'KILL'];
function podShell(input, labels) {
    return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
            name: input.podName,
            namespace: input.namespace,
            labels,
            ...(input.ownerReferences?.length ? { ownerReferences: input.ownerReferences } : {}),
        },
        spec: {
            restartPolicy: 'Never',
            automountServiceAccountToken: input.automountServiceAccountToken ?? false,
            enableServiceLinks: false,
            ...(input.serviceAccount ? { serviceAccountName: input.serviceAccount } : {}),
            ...(input.nodeSelector && Object.keys(input.nodeSelector).length ? { nodeSelector: input.nodeSelector } : {}),
            ...(input.tolerations?.length ? { tolerations: input.tolerations } : {}),
            ...(input.imagePullSecrets?.length ? { imagePullSecrets: input.imagePullSecrets.map((name) => ({ name })) } : {}),
            ...(input.activeDeadlineSeconds ? { activeDeadlineSeconds: input.activeDeadlineSeconds } : {}),
            containers: [],
        },
    };
}
/** The build pod: an init container that receives the context over exec, then the executor. */
function kanikoPod(input) {
    const pod = podShell(input, managedLabels(input.runId, { [COMPONENT_LABEL]: 'build', [IMAGE_LABEL]: input.imageName }));
    const workspace = { name: 'workspace', mountPath: WORKSPACE };
    pod.spec.volumes = [
        { name: 'workspace', emptyDir: {} },
        ...(input.dockerConfigSecret
            ? [{ name: 'docker-config', secret: { secretName: input.dockerConfigSecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] } }]
            : []),
    ];
    pod.spec.initContainers = [
        {
            name: CONTEXT_CONTAINER,
            image: input.contextImage,
            // Waits for the builder to stream the context in (exec tar) and then touch the marker.
            command: ['sh', '-c', `until [ -f ${READY_MARKER} ]; do sleep 0.2; done`],
            volumeMounts: [workspace],
            resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
    ];
    const resources = resourcesOf(input.resources);
    pod.spec.containers = [
        {
            name: KANIKO_CONTAINER,
            image: input.executorImage,
            args: kanikoArgs(input),
            volumeMounts: [workspace, ...(input.dockerConfigSecret ? [{ name: 'docker-config', mountPath: DOCKER_CONFIG_DIR, readOnly: true }] : [])],
            ...(resources ? { resources } : {}),
            terminationMessagePath: TERMINATION_LOG,
            terminationMessagePolicy: 'File',
            securityContext: {
                privileged: false,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'], add: KANIKO_CAPABILITIES },
            },
        },
    ];
    return pod;
}
/** A pod that runs one smoke command with `sh -c` in the image under test. */
function smokePod(input) {
    const pod = podShell(input, managedLabels(input.runId, { [COMPONENT_LABEL]: 'smoke', [IMAGE_LABEL]: input.imageName }));
    pod.spec.containers = [
        {
            name: SMOKE_CONTAINER,
            image: input.image,
            command: ['sh', '-c', input.run],
            terminationMessagePolicy: 'FallbackToLogsOnError',
            securityContext: { privileged: false, allowPrivilegeEscalation: false },
        },
    ];
    return pod;
}
/** The docker-config Secret for named credentials (kaniko's /kaniko/.docker/config.json). */
function credentialsSecret(input) {
    return dockerConfigSecret({
        name: input.name,
        namespace: input.namespace,
        labels: managedLabels(input.runId, { [COMPONENT_LABEL]: 'registry-credentials', [IMAGE_LABEL]: input.imageName }),
        dockerConfigJson: input.dockerConfigJson,
        ownerReferences: input.ownerReferences,
    });
}

;// CONCATENATED MODULE: ./src/build/kaniko.ts
// The kaniko builder (capability B1): one pod per image, created through the Kubernetes API.
//
//   const builder = new KanikoBuilder({ namespace: 'builds', runId, credentials });
//   const { digest } = await builder.build(request);   // see src/build/types.ts
//   ...
//   await builder.cleanup();                            // the action's post step
//
// Options (all optional):
//   namespace        build namespace; default: the kube context's namespace, in-cluster namespace, `default`
//   kubeconfigPath   kubeconfig file; default $KUBECONFIG, then in-cluster service account, then ~/.kube/config
//   context          kubeconfig context to use
//   client           a ready KubeClient (wins over kubeconfigPath/context)
//   executorImage    kaniko executor image; default DEFAULT_EXECUTOR_IMAGE (maintained fork, pinned)
//   contextImage     image of the init container that receives the context (needs sh and tar);
//                    default DEFAULT_CONTEXT_IMAGE (the same release's -debug image)
//   serviceAccount   service account of build and smoke pods (token not mounted unless
//                    automountServiceAccountToken is true)
//   nodeSelector, tolerations      scheduling of build and smoke pods
//   cache            { repo, ttl }: kaniko layer cache in a registry repository (--cache-repo/--cache-ttl)
//   pullSecret       existing dockerconfigjson Secret used as imagePullSecret (executor, tested images)
//   credentials      named registry logins (src/registry/credentials.ts); a request's `credentials`
//                    name found there becomes a temporary docker-config Secret; a name not found
//                    there must be an existing kubernetes.io/dockerconfigjson Secret in the namespace
//   defaultResources cpu/memory for builds that do not set their own
//   timeoutMs        per build (default 30 min); a request's timeoutMs wins; smokeTimeoutMs (10 min)
//   runId            label value shared by everything this run creates (cleanup selects on it);
//                    main and post must pass the same one. Default: random.
//   runnerPod        { name, namespace } of the pod this runs in, for owner references; default from
//                    $BUILD_IMAGE_RUNNER_POD / $BUILD_IMAGE_RUNNER_NAMESPACE (downward API), or
//                    $ACTIONS_RUNNER_POD_NAME (actions-runner-controller). Only used when it is in
//                    the build namespace (owner references cannot cross namespaces).
//   preflight        check RBAC with SelfSubjectAccessReview before the first build (default true)
//   pushRetry, extraArgs          passed to the executor
//
// The context protocol (docs/kubernetes.md): the pod's init container waits for a marker file;
// the builder execs `tar -x -o -f - -C /workspace` in it with the context tarball (build context
// under context/, the generated Dockerfile beside it, a completion marker last) on stdin, then
// execs `touch` on the marker; kaniko then builds from dir:///workspace/context and writes the
// digest to /dev/termination-log, which comes back as the container's termination message.












/** What the builder needs from RBAC in the build namespace. */
const KANIKO_PERMISSIONS = [
    ...['create', 'get', 'list', 'watch', 'delete'].map((verb) => ({ verb, resource: 'pods' })),
    { verb: 'create', resource: 'pods', subresource: 'exec' },
    { verb: 'get', resource: 'pods', subresource: 'log' },
    ...['create', 'get', 'list', 'delete'].map((verb) => ({ verb, resource: 'secrets' })),
];
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_SMOKE_TIMEOUT_MS = 10 * 60 * 1000;
const LOG_TAIL_LINES = 25;
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
const START_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
/** Why a pod failed, from its status; undefined if nothing is wrong (yet). Pure. */
function explainPodProblem(pod, roles = {}) {
    const status = pod.status ?? {};
    const name = pod.metadata?.name ?? 'pod';
    if (status.reason === 'Evicted')
        return `pod ${name} was evicted by the node: ${(status.message ?? '').trim() || 'no reason given'}`;
    const all = [
        ...(status.initContainerStatuses ?? []).map((s) => [s, roles[s.name] ?? `init container ${s.name}`]),
        ...(status.containerStatuses ?? []).map((s) => [s, roles[s.name] ?? `container ${s.name}`]),
    ];
    for (const [s, role] of all) {
        const waiting = s.state?.waiting;
        if (waiting?.reason && PULL_FAILURES.has(waiting.reason)) {
            return `the ${role} image "${s.image}" cannot be pulled (${waiting.reason}): ${waiting.message ?? 'no details'}`;
        }
        if (waiting?.reason && START_FAILURES.has(waiting.reason))
            return `the ${role} cannot start (${waiting.reason}): ${waiting.message ?? ''}`.trim();
        const done = s.state?.terminated;
        if (done?.reason === 'OOMKilled') {
            const limit = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === s.name)?.resources?.limits?.memory;
            return `the ${role} ran out of memory (OOMKilled${limit ? `, limit ${limit}` : ''}); raise resources.memory for this image`;
        }
        if (done && done.exitCode !== 0) {
            return `the ${role} exited with code ${done.exitCode}${done.reason && done.reason !== 'Error' ? ` (${done.reason})` : ''}`;
        }
    }
    if (status.phase === 'Failed')
        return `pod ${name} failed${status.reason ? ` (${status.reason})` : ''}${status.message ? `: ${status.message}` : ''}`;
    return undefined;
}
/** A tarball of the build context under context/, the Dockerfile beside it, the completion marker last. */
function contextTarball(contextDir, dockerfile) {
    const archive = (0,tar_stream.pack)();
    const root = (0,external_node_path_.relative)(WORKSPACE, DOCKERFILE_PATH);
    const write = async () => {
        const walk = async (dir) => {
            for (const entry of (0,external_node_fs_.readdirSync)(dir).sort()) {
                const full = (0,external_node_path_.join)(dir, entry);
                const name = `context/${(0,external_node_path_.relative)(contextDir, full)}`;
                const st = (0,external_node_fs_.lstatSync)(full);
                const common = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
                if (st.isSymbolicLink())
                    archive.entry({ ...common, type: 'symlink', linkname: (0,external_node_fs_.readlinkSync)(full) });
                else if (st.isDirectory()) {
                    archive.entry({ ...common, type: 'directory' });
                    await walk(full);
                }
                else if (st.isFile()) {
                    await new Promise((resolve, reject) => {
                        const sink = archive.entry({ ...common, size: st.size }, (err) => (err ? reject(err) : resolve()));
                        (0,external_node_fs_.createReadStream)(full).on('error', reject).pipe(sink);
                    });
                }
            }
        };
        archive.entry({ name: 'context', type: 'directory', mode: 0o755 });
        await walk(contextDir);
        archive.entry({ name: root, mode: 0o644 }, dockerfile);
        archive.entry({ name: COMPLETE_MARKER, mode: 0o644 }, '');
        archive.finalize();
    };
    write().catch((err) => archive.destroy(err));
    return archive;
}
class KanikoBuilder {
    options;
    kind = 'kaniko';
    runId;
    clientInstance;
    readyPromise;
    constructor(options = {}) {
        this.options = options;
        this.runId = options.runId ?? `bi-${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`;
        this.clientInstance = options.client;
    }
    get client() {
        this.clientInstance ??= new KubeClient({ kubeconfigPath: this.options.kubeconfigPath, context: this.options.context, retry: this.options.retry });
        return this.clientInstance;
    }
    get namespace() {
        return this.options.namespace ?? this.client.defaultNamespace();
    }
    /** Once per builder: RBAC preflight and the runner pod's owner reference. */
    ready() {
        this.readyPromise ??= (async () => {
            const namespace = this.namespace;
            if (this.options.preflight !== false)
                await this.client.preflight(namespace, KANIKO_PERMISSIONS, 'run kaniko builds');
            return { namespace, ownerReferences: await this.runnerOwnerReferences(namespace) };
        })();
        this.readyPromise.catch(() => (this.readyPromise = undefined));
        return this.readyPromise;
    }
    async runnerOwnerReferences(namespace) {
        const env = this.options.env ?? process.env;
        const name = this.options.runnerPod?.name ?? env.BUILD_IMAGE_RUNNER_POD ?? env.ACTIONS_RUNNER_POD_NAME;
        if (!name)
            return [];
        const runnerNamespace = this.options.runnerPod?.namespace ?? env.BUILD_IMAGE_RUNNER_NAMESPACE ?? namespace;
        if (runnerNamespace !== namespace)
            return [];
        try {
            const pod = await this.client.readPod(namespace, name);
            return [podOwnerReference({ name, uid: pod.metadata.uid })];
        }
        catch {
            return [];
        }
    }
    settings(namespace, ownerReferences, timeoutMs, pullSecrets) {
        return {
            namespace,
            runId: this.runId,
            serviceAccount: this.options.serviceAccount,
            automountServiceAccountToken: this.options.automountServiceAccountToken,
            nodeSelector: this.options.nodeSelector,
            tolerations: this.options.tolerations,
            imagePullSecrets: [...new Set([...(this.options.pullSecret ? [this.options.pullSecret] : []), ...pullSecrets])],
            ownerReferences,
            activeDeadlineSeconds: Math.ceil(timeoutMs / 1000) + 60,
        };
    }
    /** Resolves a credentials name: a login from the options (-> new Secret) or an existing Secret. */
    credentialsFor(name) {
        if (!name)
            return {};
        const login = this.options.credentials?.named?.find((c) => c.name === name);
        if (login)
            return { dockerConfigJson: (0,credentials/* toDockerConfigJson */.Oy)([login]) };
        return { existingSecret: name };
    }
    async checkExistingSecret(namespace, name) {
        const secret = await this.client.findSecret(namespace, name);
        if (!secret) {
            throw new errors/* UserError */.yo(`no credentials named '${name}': not in the credentials input, and no Secret '${name}' in namespace '${namespace}'`);
        }
        if (secret.type !== 'kubernetes.io/dockerconfigjson') {
            throw new errors/* UserError */.yo(`Secret '${name}' in namespace '${namespace}' has type ${secret.type ?? 'Opaque'}; registry credentials need type kubernetes.io/dockerconfigjson`);
        }
    }
    plan(request, namespace, ownerReferences, suffix) {
        const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        const podName = objectName('build', request.name, suffix);
        const creds = this.credentialsFor(request.credentials);
        const secretName = creds.dockerConfigJson ? objectName('build-creds', request.name, suffix) : creds.existingSecret;
        const pod = kanikoPod({
            ...this.settings(namespace, ownerReferences, timeoutMs, []),
            podName,
            imageName: request.name,
            executorImage: this.options.executorImage ?? DEFAULT_EXECUTOR_IMAGE,
            contextImage: this.options.contextImage ?? DEFAULT_CONTEXT_IMAGE,
            resources: request.resources ?? this.options.defaultResources,
            dockerConfigSecret: secretName,
            destinations: request.destinations,
            buildArgs: request.buildArgs,
            labels: request.labels,
            insecureRegistries: request.insecureRegistries,
            cache: this.options.cache,
            pushRetry: this.options.pushRetry,
            extraArgs: this.options.extraArgs,
        });
        const secret = creds.dockerConfigJson
            ? credentialsSecret({ name: secretName, namespace, runId: this.runId, imageName: request.name, dockerConfigJson: creds.dockerConfigJson, ownerReferences })
            : undefined;
        return { pod, secret, secretName };
    }
    /** The Kubernetes objects `build` would create, without a cluster (for `--dry-run`). */
    dryRun(request) {
        let namespace = this.options.namespace;
        if (!namespace) {
            try {
                namespace = this.namespace;
            }
            catch {
                namespace = 'default';
            }
        }
        const { pod, secret } = this.plan(request, namespace, [], 'xxxxx');
        return {
            namespace,
            objects: [...(secret ? [redactSecretData(secret)] : []), pod],
            steps: [
                ...(secret ? [`create Secret ${secret.metadata.name} (docker config for credentials '${request.credentials}')`] : []),
                `create Pod ${pod.metadata.name}`,
                `wait for init container '${CONTEXT_CONTAINER}' to run, then exec \`${UNPACK_COMMAND.join(' ')}\` with the context of ${request.contextDir} (and the generated Dockerfile) on stdin`,
                `exec \`${RELEASE_COMMAND.join(' ')}\` to start kaniko`,
                `follow the '${KANIKO_CONTAINER}' log; read the digest from its termination message`,
                `delete Pod ${pod.metadata.name}${secret ? ` and Secret ${secret.metadata.name}` : ''}`,
            ],
        };
    }
    async build(request) {
        const started = Date.now();
        const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
        const what = `kaniko build of ${request.name}`;
        const stopped = () => request.signal?.aborted ? new errors/* UserError */.yo(`${what} was cancelled`) : new errors/* UserError */.yo(`${what} timed out after ${Math.round(timeoutMs / 1000)} s`);
        if (signal.aborted)
            throw stopped();
        const { namespace, ownerReferences } = await this.ready();
        const { pod, secret, secretName } = this.plan(request, namespace, ownerReferences, (0,external_node_crypto_.randomBytes)(3).toString('hex'));
        const podName = pod.metadata.name;
        const tail = [];
        const log = (line) => {
            tail.push(line);
            if (tail.length > LOG_TAIL_LINES)
                tail.shift();
            request.log(line);
        };
        try {
            if (secretName && !secret)
                await this.checkExistingSecret(namespace, secretName);
            if (secret)
                await this.client.createSecret(namespace, secret, signal);
            await this.client.createPod(namespace, pod, signal);
            await this.sendContext(namespace, podName, request, signal);
            const terminated = await this.awaitKaniko(namespace, podName, log, signal);
            const digest = (terminated.message ?? '').trim();
            if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
                throw new errors/* UserError */.yo(`${what}: kaniko finished but reported no digest in its termination message (got ${JSON.stringify(digest.slice(0, 80))})`);
            }
            return { digest, durationMs: Date.now() - started };
        }
        catch (err) {
            if (signal.aborted)
                throw stopped();
            if (err instanceof BuildFailure) {
                const lines = tail.length ? tail : (await this.client.logTail(namespace, podName, KANIKO_CONTAINER, LOG_TAIL_LINES)).split('\n').filter(Boolean);
                throw new errors/* UserError */.yo(`${what} failed: ${err.message}${lines.length ? `\nlast log lines:\n${lines.map((l) => `  ${l}`).join('\n')}` : ''}`);
            }
            throw new errors/* UserError */.yo(`${what} failed: ${(0,errors/* describeError */.Uc)(err)}`);
        }
        finally {
            await this.remove(namespace, podName, secret?.metadata?.name, request.log);
        }
    }
    /** Waits for the init container, streams the context tarball in over exec, releases it. */
    async sendContext(namespace, podName, request, signal) {
        await this.client.watchPod(namespace, podName, (pod) => {
            const problem = explainPodProblem(pod, this.roles());
            if (problem)
                throw new BuildFailure(problem);
            return pod.status?.initContainerStatuses?.find((s) => s.name === CONTEXT_CONTAINER)?.state?.running ? true : undefined;
        }, { signal });
        const unpack = await this.client.exec(namespace, podName, CONTEXT_CONTAINER, UNPACK_COMMAND, {
            stdin: () => contextTarball(request.contextDir, request.dockerfile),
            signal,
        });
        if (unpack.exitCode !== undefined && unpack.exitCode !== 0) {
            throw new errors/* UserError */.yo(`unpacking the build context in pod ${podName} failed (tar exit ${unpack.exitCode}): ${unpack.stderr.trim()}`);
        }
        if (unpack.exitCode === undefined) {
            // The server's exec protocol could not report tar's exit status: check the last entry landed.
            const check = await this.client.exec(namespace, podName, CONTEXT_CONTAINER, CHECK_COMPLETE_COMMAND, { signal });
            if (check.exitCode !== 0)
                throw new errors/* UserError */.yo(`the build context did not arrive completely in pod ${podName}`);
        }
        const release = await this.client.exec(namespace, podName, CONTEXT_CONTAINER, RELEASE_COMMAND, { signal });
        if (release.exitCode !== undefined && release.exitCode !== 0) {
            throw new errors/* UserError */.yo(`starting the build in pod ${podName} failed: ${release.stderr.trim()}`);
        }
    }
    roles() {
        return { [CONTEXT_CONTAINER]: 'context container', [KANIKO_CONTAINER]: 'kaniko executor', [SMOKE_CONTAINER]: 'smoke test container' };
    }
    /** Follows the kaniko log while watching the pod until the executor terminates. */
    async awaitKaniko(namespace, podName, log, signal) {
        let following;
        const follow = () => {
            following ??= this.client.followLog(namespace, podName, KANIKO_CONTAINER, log, signal).catch((err) => {
                log(`(log stream unavailable: ${(0,errors/* describeError */.Uc)(err)})`);
                return false;
            });
        };
        const terminated = await this.client.watchPod(namespace, podName, (pod) => {
            const status = pod.status?.containerStatuses?.find((s) => s.name === KANIKO_CONTAINER);
            if (status?.state?.running || status?.state?.terminated)
                follow();
            const problem = explainPodProblem(pod, this.roles());
            if (problem)
                throw new BuildFailure(problem);
            if (status?.state?.terminated)
                return status.state.terminated;
            if (pod.status?.phase === 'Succeeded')
                throw new BuildFailure('the pod succeeded without a kaniko container status');
            return undefined;
        }, { signal });
        // Let the log catch up (it ends with the container), but never hang on a stuck stream.
        if (following)
            await Promise.race([following, new Promise((r) => setTimeout(r, 5000).unref())]);
        return terminated;
    }
    /** Deletes a build's pod and secret, whatever happened; waits until the pod is gone. */
    async remove(namespace, podName, secretName, log) {
        const results = await Promise.allSettled([
            this.client.deletePod(namespace, podName),
            ...(secretName ? [this.client.deleteSecret(namespace, secretName)] : []),
        ]);
        for (const r of results)
            if (r.status === 'rejected')
                log(`warning: cleanup failed: ${(0,errors/* describeError */.Uc)(r.reason)}`);
        await this.client.waitForPodGone(namespace, podName, 15000).catch(() => undefined);
    }
    async smoke(request) {
        const { namespace, ownerReferences } = await this.ready();
        const timeoutMs = this.options.smokeTimeoutMs ?? DEFAULT_SMOKE_TIMEOUT_MS;
        const creds = this.credentialsFor(request.credentials);
        const suffix = (0,external_node_crypto_.randomBytes)(3).toString('hex');
        let secretName = creds.existingSecret;
        let created;
        try {
            if (creds.existingSecret)
                await this.checkExistingSecret(namespace, creds.existingSecret);
            if (creds.dockerConfigJson) {
                created = secretName = objectName('smoke-creds', request.name, suffix);
                await this.client.createSecret(namespace, credentialsSecret({ name: secretName, namespace, runId: this.runId, imageName: request.name, dockerConfigJson: creds.dockerConfigJson, ownerReferences }), request.signal);
            }
            return await Promise.all(request.commands.map((command, i) => this.smokeOne(request, command, objectName('smoke', `${request.name}-${i}`, suffix), this.settings(namespace, ownerReferences, timeoutMs, secretName ? [secretName] : []), timeoutMs)));
        }
        finally {
            if (created)
                await this.client.deleteSecret(namespace, created).catch((err) => request.log(`warning: cleanup failed: ${(0,errors/* describeError */.Uc)(err)}`));
        }
    }
    async smokeOne(request, command, podName, settings, timeoutMs) {
        const started = Date.now();
        const namespace = settings.namespace;
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
        const what = `smoke test '${command.name}' of ${request.name}`;
        try {
            await this.client.createPod(namespace, smokePod({ ...settings, podName, imageName: request.name, image: request.image, testName: command.name, run: command.run }), signal);
            const terminated = await this.client.watchPod(namespace, podName, (pod) => {
                const status = pod.status?.containerStatuses?.find((s) => s.name === SMOKE_CONTAINER);
                if (status?.state?.terminated)
                    return status.state.terminated;
                const problem = explainPodProblem(pod, this.roles());
                if (problem)
                    throw new BuildFailure(problem);
                return undefined;
            }, { signal });
            const output = await this.client.call(`reading the log of ${namespace}/${podName}`, () => this.client.core.readNamespacedPodLog({ namespace, name: podName, container: SMOKE_CONTAINER }));
            for (const line of output.split('\n').filter(Boolean))
                request.log(`[${command.name}] ${line}`);
            const exitCode = terminated.exitCode;
            return {
                name: command.name,
                passed: exitCode === 0,
                exitCode,
                output: terminated.reason === 'OOMKilled' ? `${output}\n(OOMKilled)` : output,
                durationMs: Date.now() - started,
            };
        }
        catch (err) {
            if (request.signal?.aborted)
                throw new errors/* UserError */.yo(`${what} was cancelled`);
            if (timeout.aborted)
                throw new errors/* UserError */.yo(`${what} timed out after ${Math.round(timeoutMs / 1000)} s`);
            throw new errors/* UserError */.yo(`${what} failed: ${(0,errors/* describeError */.Uc)(err)}`);
        }
        finally {
            await this.remove(namespace, podName, undefined, request.log);
        }
    }
    /** Removes every pod and secret carrying this run's label (the action's post step). */
    async cleanup() {
        try {
            void this.client;
        }
        catch {
            return; // no cluster configured: this builder cannot have created anything
        }
        const namespace = this.namespace;
        const selector = runSelector(this.runId);
        await this.client.deleteLabelled(namespace, selector);
        await this.client.waitForNoPods(namespace, selector, 15000);
    }
}
/** A build failure explained from the pod's status (gets the log tail appended). */
class BuildFailure extends KubeError {
}


/***/ })

};
