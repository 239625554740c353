// The kaniko builder (capability B1): one pod per image, created through the Kubernetes API.
//
//   const builder = new KanikoBuilder({ namespace: 'builds', runId, credentials });
//   const { digest } = await builder.build(request);   // see src/builders/types.ts
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
//   credentials      named registry logins (src/systems/registry/credentials.ts); a request's `credentials`
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
import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { Readable } from 'node:stream';
import { contextTar } from '../../context/tar.js';
import type { V1OwnerReference, V1Pod, V1Secret, V1Toleration } from '@kubernetes/client-node';
import { UserError, describeError } from '../../lib/errors.js';
import { KubeClient, type KubeClientOptions, type Permission } from '../../systems/kube/client.js';
import { KubeError } from '../../systems/kube/errors.js';
import { objectName, runSelector } from '../../systems/kube/labels.js';
import { explainPodProblem } from '../../systems/kube/pods.js';
import { podOwnerReference, redactSecretData } from '../../systems/kube/manifests.js';
import { toDockerConfigJson, type CredentialSources } from '../../systems/registry/credentials.js';
import {
  CHECK_COMPLETE_COMMAND,
  COMPLETE_MARKER,
  CONTEXT_CONTAINER,
  DEFAULT_CONTEXT_IMAGE,
  DEFAULT_EXECUTOR_IMAGE,
  DOCKERFILE_PATH,
  KANIKO_CONTAINER,
  RELEASE_COMMAND,
  SMOKE_CONTAINER,
  UNPACK_COMMAND,
  WORKSPACE,
  credentialsSecret,
  kanikoPod,
  smokePod,
  type PodSettings,
} from './manifests.js';
import { SMOKE_TIMEOUT_EXIT_CODE, type Builder, type BuildRequest, type BuildResult, type SmokeRequest, type SmokeResult } from '../types.js';

export { kanikoArgs, kanikoPod, smokePod, DEFAULT_EXECUTOR_IMAGE, DEFAULT_CONTEXT_IMAGE } from './manifests.js';

export interface KanikoBuilderOptions {
  namespace?: string;
  kubeconfigPath?: string;
  context?: string;
  client?: KubeClient;
  executorImage?: string;
  contextImage?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  cache?: { repo?: string; ttl?: string };
  pullSecret?: string;
  credentials?: CredentialSources;
  defaultResources?: { cpu?: string; memory?: string };
  timeoutMs?: number;
  smokeTimeoutMs?: number;
  runId?: string;
  runnerPod?: { name: string; namespace?: string };
  preflight?: boolean;
  pushRetry?: number;
  extraArgs?: string[];
  /** Environment to read runner-pod variables from (tests). */
  env?: NodeJS.ProcessEnv;
  /** Retry tuning for the Kubernetes client it creates. */
  retry?: KubeClientOptions['retry'];
}

/** What the builder needs from RBAC in the build namespace. */
export const KANIKO_PERMISSIONS: Permission[] = [
  ...['create', 'get', 'list', 'watch', 'delete'].map((verb) => ({ verb, resource: 'pods' })),
  { verb: 'create', resource: 'pods', subresource: 'exec' },
  { verb: 'get', resource: 'pods', subresource: 'log' },
  ...['create', 'get', 'list', 'delete'].map((verb) => ({ verb, resource: 'secrets' })),
];

const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_SMOKE_TIMEOUT_MS = 10 * 60 * 1000;
const LOG_TAIL_LINES = 25;

/** The objects a build would create, for `--dry-run` (secret data redacted). */
export interface KanikoDryRun {
  namespace: string;
  objects: (V1Pod | V1Secret)[];
  /** What happens after the objects are created, in order. */
  steps: string[];
}

/** A tarball of the build context under context/, the Dockerfile beside it, the completion marker last. */
export function contextTarball(contextDir: string, dockerfile: string, mtime?: Date): Readable {
  return contextTar(contextDir, {
    prefix: 'context',
    extra: [
      { name: relative(WORKSPACE, DOCKERFILE_PATH), content: dockerfile },
      { name: COMPLETE_MARKER, content: '' },
    ],
    ...(mtime ? { mtime } : {}),
  });
}

export class KanikoBuilder implements Builder {
  readonly kind = 'kaniko' as const;
  readonly runId: string;
  private clientInstance?: KubeClient;
  private readyPromise?: Promise<{ namespace: string; ownerReferences: V1OwnerReference[] }>;

  constructor(private readonly options: KanikoBuilderOptions = {}) {
    this.runId = options.runId ?? `bi-${randomBytes(4).toString('hex')}`;
    this.clientInstance = options.client;
  }

  private get client(): KubeClient {
    this.clientInstance ??= new KubeClient({ kubeconfigPath: this.options.kubeconfigPath, context: this.options.context, retry: this.options.retry });
    return this.clientInstance;
  }

  private get namespace(): string {
    return this.options.namespace ?? this.client.defaultNamespace();
  }

  /** Once per builder: RBAC preflight and the runner pod's owner reference. */
  private ready(): Promise<{ namespace: string; ownerReferences: V1OwnerReference[] }> {
    this.readyPromise ??= (async () => {
      const namespace = this.namespace;
      if (this.options.preflight !== false) await this.client.preflight(namespace, KANIKO_PERMISSIONS, 'run kaniko builds');
      return { namespace, ownerReferences: await this.runnerOwnerReferences(namespace) };
    })();
    this.readyPromise.catch(() => (this.readyPromise = undefined));
    return this.readyPromise;
  }

  private async runnerOwnerReferences(namespace: string): Promise<V1OwnerReference[]> {
    const env = this.options.env ?? process.env;
    const name = this.options.runnerPod?.name ?? env.BUILD_IMAGE_RUNNER_POD ?? env.ACTIONS_RUNNER_POD_NAME;
    if (!name) return [];
    const runnerNamespace = this.options.runnerPod?.namespace ?? env.BUILD_IMAGE_RUNNER_NAMESPACE ?? namespace;
    if (runnerNamespace !== namespace) return [];
    try {
      const pod = await this.client.readPod(namespace, name);
      return [podOwnerReference({ name, uid: pod.metadata!.uid! })];
    } catch {
      return [];
    }
  }

  private settings(namespace: string, ownerReferences: V1OwnerReference[], timeoutMs: number, pullSecrets: string[]): PodSettings {
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
  private credentialsFor(name: string | undefined): { dockerConfigJson?: string; existingSecret?: string } {
    if (!name) return {};
    const login = this.options.credentials?.named?.find((c) => c.name === name);
    if (login) return { dockerConfigJson: toDockerConfigJson([login]) };
    return { existingSecret: name };
  }

  private async checkExistingSecret(namespace: string, name: string): Promise<void> {
    const secret = await this.client.findSecret(namespace, name);
    if (!secret) {
      throw new UserError(`no credentials named '${name}': not in the credentials input, and no Secret '${name}' in namespace '${namespace}'`);
    }
    if (secret.type !== 'kubernetes.io/dockerconfigjson') {
      throw new UserError(`Secret '${name}' in namespace '${namespace}' has type ${secret.type ?? 'Opaque'}; registry credentials need type kubernetes.io/dockerconfigjson`);
    }
  }

  private plan(request: BuildRequest, namespace: string, ownerReferences: V1OwnerReference[], suffix: string): { pod: V1Pod; secret?: V1Secret; secretName?: string } {
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
    const secret = creds.dockerConfigJson ? credentialsSecret({ name: secretName!, namespace, runId: this.runId, imageName: request.name, dockerConfigJson: creds.dockerConfigJson, ownerReferences }) : undefined;
    return { pod, secret, secretName };
  }

  /** The Kubernetes objects `build` would create, without a cluster (for `--dry-run`). */
  dryRun(request: BuildRequest): KanikoDryRun {
    let namespace = this.options.namespace;
    if (!namespace) {
      try {
        namespace = this.namespace;
      } catch {
        namespace = 'default';
      }
    }
    const { pod, secret } = this.plan(request, namespace, [], 'xxxxx');
    return {
      namespace,
      objects: [...(secret ? [redactSecretData(secret)] : []), pod],
      steps: [
        ...(secret ? [`create Secret ${secret.metadata!.name} (docker config for credentials '${request.credentials}')`] : []),
        `create Pod ${pod.metadata!.name}`,
        `wait for init container '${CONTEXT_CONTAINER}' to run, then exec \`${UNPACK_COMMAND.join(' ')}\` with the context of ${request.contextDir} (and the generated Dockerfile) on stdin`,
        `exec \`${RELEASE_COMMAND.join(' ')}\` to start kaniko`,
        `follow the '${KANIKO_CONTAINER}' log; read the digest from its termination message`,
        `delete Pod ${pod.metadata!.name}${secret ? ` and Secret ${secret.metadata!.name}` : ''}`,
      ],
    };
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const started = Date.now();
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const what = `kaniko build of ${request.name}`;
    const stopped = (): UserError => (request.signal?.aborted ? new UserError(`${what} was cancelled`) : new UserError(`${what} timed out after ${Math.round(timeoutMs / 1000)} s`));
    if (signal.aborted) throw stopped();
    const { namespace, ownerReferences } = await this.ready();
    const { pod, secret, secretName } = this.plan(request, namespace, ownerReferences, randomBytes(3).toString('hex'));
    const podName = pod.metadata!.name!;
    const tail: string[] = [];
    const log = (line: string): void => {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      request.log(line);
    };
    try {
      if (secretName && !secret) await this.checkExistingSecret(namespace, secretName);
      if (secret) await this.client.createSecret(namespace, secret, signal);
      await this.client.createPod(namespace, pod, signal);
      await this.sendContext(namespace, podName, request, signal);
      const terminated = await this.awaitKaniko(namespace, podName, log, signal);
      const digest = (terminated.message ?? '').trim();
      if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
        throw new UserError(`${what}: kaniko finished but reported no digest in its termination message (got ${JSON.stringify(digest.slice(0, 80))})`);
      }
      return { digest, durationMs: Date.now() - started };
    } catch (err) {
      if (signal.aborted) throw stopped();
      if (err instanceof BuildFailure) {
        const lines = tail.length ? tail : (await this.client.logTail(namespace, podName, KANIKO_CONTAINER, LOG_TAIL_LINES)).split('\n').filter(Boolean);
        throw new UserError(`${what} failed: ${err.message}${lines.length ? `\nlast log lines:\n${lines.map((l) => `  ${l}`).join('\n')}` : ''}`);
      }
      throw new UserError(`${what} failed: ${describeError(err)}`);
    } finally {
      await this.remove(namespace, podName, secret?.metadata?.name, request.log);
    }
  }

  /** Waits for the init container, streams the context tarball in over exec, releases it. */
  private async sendContext(namespace: string, podName: string, request: BuildRequest, signal: AbortSignal): Promise<void> {
    await this.client.watchPod(
      namespace,
      podName,
      (pod) => {
        const problem = explainPodProblem(pod, this.roles());
        if (problem) throw new BuildFailure(problem);
        return pod.status?.initContainerStatuses?.find((s) => s.name === CONTEXT_CONTAINER)?.state?.running ? true : undefined;
      },
      { signal },
    );
    const unpack = await this.client.exec(namespace, podName, CONTEXT_CONTAINER, UNPACK_COMMAND, {
      stdin: () => contextTarball(request.contextDir, request.dockerfile, request.contextMtime),
      signal,
    });
    if (unpack.exitCode !== undefined && unpack.exitCode !== 0) {
      throw new UserError(`unpacking the build context in pod ${podName} failed (tar exit ${unpack.exitCode}): ${unpack.stderr.trim()}`);
    }
    if (unpack.exitCode === undefined) {
      // The server's exec protocol could not report tar's exit status: check the last entry landed.
      const check = await this.client.exec(namespace, podName, CONTEXT_CONTAINER, CHECK_COMPLETE_COMMAND, { signal });
      if (check.exitCode !== 0) throw new UserError(`the build context did not arrive completely in pod ${podName}`);
    }
    const release = await this.client.exec(namespace, podName, CONTEXT_CONTAINER, RELEASE_COMMAND, { signal });
    if (release.exitCode !== undefined && release.exitCode !== 0) {
      throw new UserError(`starting the build in pod ${podName} failed: ${release.stderr.trim()}`);
    }
  }

  private roles(): Record<string, string> {
    return { [CONTEXT_CONTAINER]: 'context container', [KANIKO_CONTAINER]: 'kaniko executor', [SMOKE_CONTAINER]: 'smoke test container' };
  }

  /** Follows the kaniko log while watching the pod until the executor terminates. */
  private async awaitKaniko(namespace: string, podName: string, log: (line: string) => void, signal: AbortSignal) {
    let following: Promise<boolean> | undefined;
    const follow = (): void => {
      following ??= this.client.followLog(namespace, podName, KANIKO_CONTAINER, log, signal).catch((err: unknown) => {
        log(`(log stream unavailable: ${describeError(err)})`);
        return false;
      });
    };
    const terminated = await this.client.watchPod(
      namespace,
      podName,
      (pod) => {
        const status = pod.status?.containerStatuses?.find((s) => s.name === KANIKO_CONTAINER);
        if (status?.state?.running || status?.state?.terminated) follow();
        const problem = explainPodProblem(pod, this.roles());
        if (problem) throw new BuildFailure(problem);
        if (status?.state?.terminated) return status.state.terminated;
        if (pod.status?.phase === 'Succeeded') throw new BuildFailure('the pod succeeded without a kaniko container status');
        return undefined;
      },
      { signal },
    );
    // Let the log catch up (it ends with the container), but never hang on a stuck stream.
    if (following) await Promise.race([following, new Promise((r) => setTimeout(r, 5000).unref())]);
    return terminated;
  }

  /** Deletes a build's pod and secret, whatever happened; waits until the pod is gone. */
  private async remove(namespace: string, podName: string, secretName: string | undefined, log: (line: string) => void): Promise<void> {
    const results = await Promise.allSettled([this.client.deletePod(namespace, podName), ...(secretName ? [this.client.deleteSecret(namespace, secretName)] : [])]);
    for (const r of results) if (r.status === 'rejected') log(`warning: cleanup failed: ${describeError(r.reason)}`);
    await this.client.waitForPodGone(namespace, podName, 15000).catch(() => undefined);
  }

  async smoke(request: SmokeRequest): Promise<SmokeResult[]> {
    const { namespace, ownerReferences } = await this.ready();
    const timeoutMs = this.options.smokeTimeoutMs ?? DEFAULT_SMOKE_TIMEOUT_MS;
    const creds = this.credentialsFor(request.credentials);
    const suffix = randomBytes(3).toString('hex');
    let secretName = creds.existingSecret;
    let created: string | undefined;
    try {
      if (creds.existingSecret) await this.checkExistingSecret(namespace, creds.existingSecret);
      if (creds.dockerConfigJson) {
        created = secretName = objectName('smoke-creds', request.name, suffix);
        await this.client.createSecret(namespace, credentialsSecret({ name: secretName, namespace, runId: this.runId, imageName: request.name, dockerConfigJson: creds.dockerConfigJson, ownerReferences }), request.signal);
      }
      return await Promise.all(
        request.commands.map((command, i) => {
          // The template's own timeout wins; the pod's deadline follows it.
          const commandTimeoutMs = command.timeout !== undefined ? command.timeout * 1000 : timeoutMs;
          const settings = this.settings(namespace, ownerReferences, commandTimeoutMs, secretName ? [secretName] : []);
          return this.smokeOne(request, command, objectName('smoke', `${request.name}-${i}`, suffix), settings, commandTimeoutMs, command.timeout !== undefined);
        }),
      );
    } finally {
      if (created) await this.client.deleteSecret(namespace, created).catch((err: unknown) => request.log(`warning: cleanup failed: ${describeError(err)}`));
    }
  }

  /** One smoke pod. A command's own timeout (`ownTimeout`) fails that test (exit code 124); the builder-wide one is an error. */
  private async smokeOne(request: SmokeRequest, command: { name: string; run: string }, podName: string, settings: PodSettings, timeoutMs: number, ownTimeout = false): Promise<SmokeResult> {
    const started = Date.now();
    const namespace = settings.namespace;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const what = `smoke test '${command.name}' of ${request.name}`;
    try {
      await this.client.createPod(namespace, smokePod({ ...settings, podName, imageName: request.name, image: request.image, testName: command.name, run: command.run }), signal);
      const terminated = await this.client.watchPod(
        namespace,
        podName,
        (pod) => {
          const status = pod.status?.containerStatuses?.find((s) => s.name === SMOKE_CONTAINER);
          if (status?.state?.terminated) return status.state.terminated;
          const problem = explainPodProblem(pod, this.roles());
          if (problem) throw new BuildFailure(problem);
          return undefined;
        },
        { signal },
      );
      const output = await this.client.readLog(namespace, podName, SMOKE_CONTAINER);
      for (const line of output.split('\n').filter(Boolean)) request.log(`[${command.name}] ${line}`);
      const exitCode = terminated.exitCode;
      return {
        name: command.name,
        passed: exitCode === 0,
        exitCode,
        output: terminated.reason === 'OOMKilled' ? `${output}\n(OOMKilled)` : output,
        durationMs: Date.now() - started,
      };
    } catch (err) {
      if (request.signal?.aborted) throw new UserError(`${what} was cancelled`);
      if (timeout.aborted && ownTimeout) {
        const note = `timed out after ${Math.round(timeoutMs / 1000)} s`;
        request.log(`[${command.name}] ${note}`);
        return { name: command.name, passed: false, exitCode: SMOKE_TIMEOUT_EXIT_CODE, output: note, durationMs: Date.now() - started };
      }
      if (timeout.aborted) throw new UserError(`${what} timed out after ${Math.round(timeoutMs / 1000)} s`);
      throw new UserError(`${what} failed: ${describeError(err)}`);
    } finally {
      await this.remove(namespace, podName, undefined, request.log);
    }
  }

  /** Removes every pod and secret carrying this run's label (the action's post step). */
  async cleanup(): Promise<void> {
    try {
      void this.client;
    } catch {
      return; // no cluster configured: this builder cannot have created anything
    }
    const namespace = this.namespace;
    const selector = runSelector(this.runId);
    await this.client.deleteLabelled(namespace, selector);
    await this.client.waitForNoPods(namespace, selector, 15000);
  }
}

/** A build failure explained from the pod's status (gets the log tail appended). */
class BuildFailure extends KubeError {}
