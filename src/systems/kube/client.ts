// The one module that talks to the Kubernetes API (through @kubernetes/client-node). Everything
// here retries transient failures (429 with Retry-After, 5xx, dropped connections), turns errors
// into messages from the server's Status, and watches resume after a drop (from the last
// resourceVersion seen) and relist after 410 Gone.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, Exec, KubeConfig, Log, Watch, type V1Pod, type V1Secret, type V1Status } from '@kubernetes/client-node';
import { UserError } from '../../lib/errors.js';
import { httpStatusOf, KubeError, toKubeError } from './errors.js';
import { DEFAULT_RETRY, backoffDelay, sleep, withRetry, type RetryOptions } from './retry.js';

export interface KubeClientOptions {
  /** A ready KubeConfig (tests, or callers that built one). Wins over everything else. */
  kubeConfig?: KubeConfig;
  /** Path of a kubeconfig file; default: $KUBECONFIG, else in-cluster, else ~/.kube/config. */
  kubeconfigPath?: string;
  /** Context in the kubeconfig to use instead of its current-context. */
  context?: string;
  retry?: Partial<RetryOptions>;
  /** Told about each retried call and resumed watch (the builder logs them). */
  onRetry?: (message: string) => void;
}

export interface Permission {
  verb: string;
  resource: string;
  subresource?: string;
  /** API group, '' for the core group. */
  group?: string;
}

export const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** How a kubeconfig is chosen: explicit path, $KUBECONFIG, the in-cluster service account, ~/.kube/config. */
export function loadKubeConfig(options: Pick<KubeClientOptions, 'kubeconfigPath' | 'context'> = {}, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.kubeconfigPath) {
      if (!existsSync(options.kubeconfigPath)) throw new UserError(`kubeconfig not found: ${options.kubeconfigPath}`);
      kc.loadFromFile(options.kubeconfigPath);
    } else if (!env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
    } else {
      const path = env.KUBECONFIG ? undefined : join(env.HOME ?? homedir(), '.kube', 'config');
      // loadFromDefault would fall back to http://localhost:8080; say what is missing instead.
      if (path && !existsSync(path)) {
        throw new UserError('no Kubernetes configuration: set KUBECONFIG, pass a kubeconfig path, or run the job inside the cluster (a self-hosted runner pod)');
      }
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot load the Kubernetes configuration: ${(err as Error).message}`);
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      throw new UserError(
        `kubeconfig has no context '${options.context}' (known: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) throw new UserError('no Kubernetes cluster configured: set KUBECONFIG, pass a kubeconfig path, or run inside a cluster');
  return kc;
}

export interface ExecResult {
  /** Exit code from the status channel; undefined when the server's protocol could not report it. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export class KubeClient {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly retry: RetryOptions;
  private readonly onRetry?: (message: string) => void;

  constructor(options: KubeClientOptions = {}) {
    this.kc = options.kubeConfig ?? loadKubeConfig(options);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.apps = this.kc.makeApiClient(AppsV1Api);
    this.authz = this.kc.makeApiClient(AuthorizationV1Api);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.onRetry = options.onRetry;
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  /** The namespace of the current context, else the in-cluster one, else `default`. */
  defaultNamespace(): string {
    const fromContext = this.kc.getContextObject(this.kc.getCurrentContext())?.namespace;
    if (fromContext) return fromContext;
    if (existsSync(IN_CLUSTER_NAMESPACE_FILE)) return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim();
    return 'default';
  }

  /** One API call with retries and a readable error. */
  call<T>(doing: string, fn: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(doing, fn, this.retry, { signal, onRetry: (m) => this.onRetry?.(m) });
  }

  // ---- pods and secrets ----

  /**
   * Creates an object; when a retried create meets 409 AlreadyExists, the first attempt did land
   * (its response was lost), so the existing object is returned.
   */
  private async createIdempotent<T>(doing: string, create: () => Promise<T>, read: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.call(
      doing,
      async (attempt) => {
        try {
          return await create();
        } catch (err) {
          if (attempt > 1 && httpStatusOf(err) === 409) return read();
          throw err;
        }
      },
      signal,
    );
  }

  createPod(namespace: string, body: V1Pod, signal?: AbortSignal): Promise<V1Pod> {
    const name = body.metadata!.name!;
    return this.createIdempotent(
      `creating pod ${namespace}/${name}`,
      () => this.core.createNamespacedPod({ namespace, body }),
      () => this.core.readNamespacedPod({ namespace, name }),
      signal,
    );
  }

  readPod(namespace: string, name: string, signal?: AbortSignal): Promise<V1Pod> {
    return this.call(`reading pod ${namespace}/${name}`, () => this.core.readNamespacedPod({ namespace, name }), signal);
  }

  createSecret(namespace: string, body: V1Secret, signal?: AbortSignal): Promise<V1Secret> {
    const name = body.metadata!.name!;
    return this.createIdempotent(
      `creating secret ${namespace}/${name}`,
      () => this.core.createNamespacedSecret({ namespace, body }),
      () => this.core.readNamespacedSecret({ namespace, name }),
      signal,
    );
  }

  /** Reads a secret; undefined when it does not exist. */
  async findSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.call(`reading secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ namespace, name }));
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Deletes a pod (a short grace period: builds are throwaway); a pod already gone is fine. */
  async deletePod(namespace: string, name: string): Promise<void> {
    await this.ignoreNotFound(this.call(`deleting pod ${namespace}/${name}`, () => this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 1, propagationPolicy: 'Background' })));
  }

  async deleteSecret(namespace: string, name: string): Promise<void> {
    await this.ignoreNotFound(this.call(`deleting secret ${namespace}/${name}`, () => this.core.deleteNamespacedSecret({ namespace, name })));
  }

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
  }

  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return (await this.call(`listing pods in ${namespace}`, () => this.core.listNamespacedPod({ namespace, labelSelector }))).items;
  }

  async listSecrets(namespace: string, labelSelector: string): Promise<V1Secret[]> {
    return (await this.call(`listing secrets in ${namespace}`, () => this.core.listNamespacedSecret({ namespace, labelSelector }))).items;
  }

  /** Deletes every pod and secret matching the selector; returns what it deleted. */
  async deleteLabelled(namespace: string, labelSelector: string): Promise<{ pods: string[]; secrets: string[] }> {
    const [pods, secrets] = await Promise.all([this.listPods(namespace, labelSelector), this.listSecrets(namespace, labelSelector)]);
    await Promise.all([...pods.map((p) => this.deletePod(namespace, p.metadata!.name!)), ...secrets.map((s) => this.deleteSecret(namespace, s.metadata!.name!))]);
    return { pods: pods.map((p) => p.metadata!.name!), secrets: secrets.map((s) => s.metadata!.name!) };
  }

  /** Waits until no pod matches the selector any more (graceful deletion takes a moment). */
  async waitForNoPods(namespace: string, labelSelector: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.listPods(namespace, labelSelector)).length > 0) {
      if (Date.now() > deadline) return;
      await sleep(100);
    }
  }

  /** Waits until a pod no longer exists (graceful deletion takes a moment). */
  async waitForPodGone(namespace: string, name: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.core.readNamespacedPod({ namespace, name });
      } catch (err) {
        if (httpStatusOf(err) === 404) return;
      }
      await sleep(100);
    }
  }

  // ---- RBAC ----

  /** The permissions (of `wanted`) this identity lacks in `namespace`, via SelfSubjectAccessReview. */
  async missingPermissions(namespace: string, wanted: Permission[]): Promise<Permission[]> {
    const answers = await Promise.all(
      wanted.map(async (p) => {
        const review = await this.call(`checking permission to ${describePermission(p)}`, () =>
          this.authz.createSelfSubjectAccessReview({
            body: { spec: { resourceAttributes: { namespace, verb: p.verb, resource: p.resource, subresource: p.subresource, group: p.group ?? '' } } },
          }),
        );
        return review.status?.allowed ? undefined : p;
      }),
    );
    return answers.filter((p): p is Permission => p !== undefined);
  }

  /** Fails with one message naming every missing permission. */
  async preflight(namespace: string, wanted: Permission[], purpose: string): Promise<void> {
    const missing = await this.missingPermissions(namespace, wanted);
    if (missing.length === 0) return;
    throw new UserError(
      `the Kubernetes identity in use may not ${purpose} in namespace '${namespace}'; it lacks:\n` + missing.map((p) => `  - ${describePermission(p)}`).join('\n') + `\nGrant them with a Role and RoleBinding (see docs/kubernetes.md).`,
    );
  }

  // ---- exec and logs ----

  /**
   * Runs a command in a container over the exec websocket, feeding `stdin` (made fresh per try:
   * the handshake is retried on transient errors, never a half-sent stream).
   */
  async exec(namespace: string, pod: string, container: string, command: string[], options: { stdin?: () => Readable; signal?: AbortSignal } = {}): Promise<ExecResult> {
    const exec = new Exec(this.kc);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    let status: V1Status | undefined;
    const doing = `running '${command.join(' ')}' in pod ${namespace}/${pod}`;
    const ws = await this.call(doing, () => exec.exec(namespace, pod, container, command, stdout, stderr, options.stdin ? options.stdin() : null, false, (s) => (status = s)), options.signal);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        ws.close();
        reject(options.signal!.reason);
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
  async followLog(namespace: string, pod: string, container: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<boolean> {
    const stream = new PassThrough();
    let pending = '';
    stream.on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    });
    const ended = new Promise<boolean>((resolve) => {
      stream.on('end', () => resolve(true));
      stream.on('error', () => resolve(false));
      stream.on('close', () => resolve(false));
    });
    const controller = await this.call(`following the log of ${namespace}/${pod}`, () => new Log(this.kc).log(namespace, pod, container, stream, { follow: true }), signal);
    const onAbort = (): void => {
      controller.abort();
      stream.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const complete = await ended;
    signal?.removeEventListener('abort', onAbort);
    if (pending) onLine(pending);
    return complete;
  }

  /** A container's whole log. */
  readLog(namespace: string, pod: string, container: string): Promise<string> {
    return this.call(`reading the log of ${namespace}/${pod}`, () => this.core.readNamespacedPodLog({ namespace, name: pod, container }));
  }

  /** The last lines of a container's log ('' if there is none). */
  async logTail(namespace: string, pod: string, container: string, lines: number): Promise<string> {
    try {
      return await this.call(`reading the log of ${namespace}/${pod}`, () => this.core.readNamespacedPodLog({ namespace, name: pod, container, tailLines: lines }));
    } catch {
      return '';
    }
  }

  // ---- watches ----

  /**
   * Watches one pod until `decide` returns a value (or throws). The watch resumes from the last
   * resourceVersion after a dropped connection and relists after 410 Gone; gives up after
   * `timeoutMs` or when `signal` aborts.
   */
  async watchPod<T>(namespace: string, name: string, decide: (pod: V1Pod) => T | undefined, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    return this.watchUntil<V1Pod, T>({
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
  async watchUntil<O extends { metadata?: { resourceVersion?: string } }, T>(spec: {
    path: string;
    fieldSelector?: string;
    labelSelector?: string;
    list: () => Promise<{ items: O[]; resourceVersion?: string }>;
    decide: (obj: O) => T | undefined;
    onDeleted?: (obj: O) => T | undefined;
    what: string;
    signal?: AbortSignal;
    timeoutMs?: number;
  }): Promise<T> {
    const watch = new Watch(this.kc);
    let resourceVersion: string | undefined;
    let failures = 0;
    const deadline = spec.timeoutMs ? Date.now() + spec.timeoutMs : Infinity;
    const timedOut = (): KubeError => new KubeError(`timed out after ${Math.round(spec.timeoutMs! / 1000)} s waiting for ${spec.what}`);
    for (;;) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      if (Date.now() > deadline) throw timedOut();
      if (resourceVersion === undefined) {
        const listed = await this.call(`listing ${spec.what}`, () => spec.list(), spec.signal);
        for (const item of listed.items) {
          const result = spec.decide(item);
          if (result !== undefined) return result;
        }
        resourceVersion = listed.resourceVersion;
      }
      const started = Date.now();
      const outcome = await new Promise<{ result?: T; error?: unknown; gone?: boolean; failed?: unknown }>((resolve) => {
        let settled = false;
        let controller: AbortController | undefined;
        const settle = (value: { result?: T; error?: unknown; gone?: boolean; failed?: unknown }): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          spec.signal?.removeEventListener('abort', onAbort);
          controller?.abort();
          resolve(value);
        };
        const onAbort = (): void => settle({ error: spec.signal!.reason });
        spec.signal?.addEventListener('abort', onAbort, { once: true });
        const timer = setTimeout(() => settle({ error: timedOut() }), Math.min(deadline - Date.now(), 2 ** 31 - 1));
        const query: Record<string, string> = { resourceVersion: resourceVersion ?? '', allowWatchBookmarks: 'true' };
        if (spec.fieldSelector) query.fieldSelector = spec.fieldSelector;
        if (spec.labelSelector) query.labelSelector = spec.labelSelector;
        watch
          .watch(
            spec.path,
            query,
            // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a watch event's object is whatever the server sent
            (type, obj: any) => {
              if (settled) return;
              if (type === 'ERROR') {
                if (obj?.code === 410) settle({ gone: true });
                else settle({ failed: new KubeError(`watching ${spec.what}: ${obj?.message ?? 'error event'}`, obj?.code, obj?.reason) });
                return;
              }
              if (obj?.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
              failures = 0;
              if (type === 'BOOKMARK') return;
              try {
                const result = type === 'DELETED' ? spec.onDeleted?.(obj) : spec.decide(obj);
                if (result !== undefined) settle({ result });
              } catch (error) {
                settle({ error });
              }
            },
            (err) => settle(httpStatusOf(err) === 410 ? { gone: true } : { failed: err ?? new Error('watch closed by the server') }),
          )
          .then(
            (c) => {
              controller = c;
              if (settled) c.abort();
            },
            (err) => settle({ failed: err }),
          );
      });
      if (outcome.error !== undefined) throw outcome.error;
      if ('result' in outcome && outcome.result !== undefined) return outcome.result;
      if (outcome.gone) {
        this.onRetry?.(`watch of ${spec.what}: resourceVersion ${resourceVersion} expired (410 Gone); relisting`);
        resourceVersion = undefined;
        continue;
      }
      // A watch that ran a while and then ended is normal (servers close watches every few minutes).
      failures = Date.now() - started > 5000 ? 1 : failures + 1;
      if (failures > this.retry.attempts) throw toKubeError(outcome.failed, `watching ${spec.what} (gave up after ${failures} broken watches)`);
      const delay = failures === 1 ? 0 : backoffDelay(failures - 1, this.retry);
      this.onRetry?.(`watch of ${spec.what} dropped (${toKubeError(outcome.failed, 'watch').message}); resuming from resourceVersion ${resourceVersion ?? '(relist)'}`);
      await sleep(delay, spec.signal);
    }
  }
}

export function describePermission(p: Permission): string {
  const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
  return `${p.verb} ${resource}${p.group ? ` (API group ${p.group})` : ''}`;
}

/** Exit code from an exec status: 0 on Success, the ExitCode cause on NonZeroExitCode. */
export function exitCodeOf(status: V1Status | undefined, doing: string): number | undefined {
  if (!status) return undefined;
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (status.reason === 'NonZeroExitCode' && cause?.message) return Number(cause.message);
  throw new KubeError(`${doing}: ${status.message ?? 'exec failed'}`, status.code, status.reason);
}
