// The pure half of the kaniko builder: executor arguments and the pod / secret manifests for one
// build or smoke test. Data in, data out; src/builders/kaniko/builder.ts sends them to the cluster.
import type { V1OwnerReference, V1Pod, V1Secret, V1Toleration } from '@kubernetes/client-node';
import { COMPONENT_LABEL, IMAGE_LABEL, managedLabels } from '../../systems/kube/labels.js';
import { dockerConfigSecret } from '../../systems/kube/manifests.js';

/**
 * kaniko's maintained community fork (GoogleContainerTools/kaniko was archived in June 2025):
 * https://github.com/osscontainertools/kaniko, images on ghcr.io. Pinned; override with
 * `executorImage`.
 */
export const DEFAULT_EXECUTOR_IMAGE = 'ghcr.io/osscontainertools/kaniko:v1.28.5';
/** The same release's `-debug` image has a busybox shell and tar: it receives the build context. */
export const DEFAULT_CONTEXT_IMAGE = 'ghcr.io/osscontainertools/kaniko:v1.28.5-debug';

/** Where things live in the build pod's shared emptyDir (see docs/kubernetes.md). */
export const WORKSPACE = '/workspace';
export const CONTEXT_DIR = `${WORKSPACE}/context`;
export const DOCKERFILE_PATH = `${WORKSPACE}/build-image.Dockerfile`;
/** Last entry of the context tarball: its presence proves the whole archive was unpacked. */
export const COMPLETE_MARKER = '.build-image-complete';
/** Touched by the builder after the upload; the init container exits when it appears. */
export const READY_MARKER = `${WORKSPACE}/.build-image-ready`;
export const DOCKER_CONFIG_DIR = '/kaniko/.docker';
export const TERMINATION_LOG = '/dev/termination-log';
export const CONTEXT_CONTAINER = 'context';
export const KANIKO_CONTAINER = 'kaniko';
export const SMOKE_CONTAINER = 'smoke';

/** The command the builder execs in the context container, tarball on stdin. */
export const UNPACK_COMMAND = ['tar', '-x', '-o', '-f', '-', '-C', WORKSPACE];
export const CHECK_COMPLETE_COMMAND = ['test', '-f', `${WORKSPACE}/${COMPLETE_MARKER}`];
export const RELEASE_COMMAND = ['touch', READY_MARKER];

export interface KanikoArgsInput {
  destinations: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  insecureRegistries: string[];
  cache?: { repo?: string; ttl?: string };
  pushRetry?: number;
  extraArgs?: string[];
}

const byKey = (record: Record<string, string>): [string, string][] => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The executor's arguments for one build (order is stable: tests compare whole arrays). */
export function kanikoArgs(input: KanikoArgsInput): string[] {
  const args = [`--dockerfile=${DOCKERFILE_PATH}`, `--context=dir://${CONTEXT_DIR}`];
  for (const d of input.destinations) args.push(`--destination=${d}`);
  for (const [k, v] of byKey(input.buildArgs)) args.push(`--build-arg=${k}=${v}`);
  for (const [k, v] of byKey(input.labels)) args.push(`--label=${k}=${v}`);
  for (const host of [...new Set(input.insecureRegistries)].sort()) {
    args.push(`--insecure-registry=${host}`, `--skip-tls-verify-registry=${host}`);
  }
  if (input.cache) {
    args.push('--cache=true');
    if (input.cache.repo) args.push(`--cache-repo=${input.cache.repo}`);
    if (input.cache.ttl) args.push(`--cache-ttl=${input.cache.ttl}`);
  }
  args.push(`--digest-file=${TERMINATION_LOG}`, `--push-retry=${input.pushRetry ?? 2}`);
  args.push(...(input.extraArgs ?? []));
  return args;
}

export interface PodSettings {
  namespace: string;
  runId: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  /** Existing dockerconfigjson Secrets used to pull the executor / tested images. */
  imagePullSecrets?: string[];
  ownerReferences?: V1OwnerReference[];
  activeDeadlineSeconds?: number;
}

export interface KanikoPodInput extends PodSettings, KanikoArgsInput {
  podName: string;
  imageName: string;
  executorImage: string;
  contextImage: string;
  resources?: { cpu?: string; memory?: string };
  /** Secret (dockerconfigjson) mounted as kaniko's docker config, when the push needs credentials. */
  dockerConfigSecret?: string;
}

function resourcesOf(r: { cpu?: string; memory?: string } | undefined): { requests: Record<string, string>; limits: Record<string, string> } | undefined {
  if (!r || (!r.cpu && !r.memory)) return undefined;
  const amounts: Record<string, string> = {};
  if (r.cpu) amounts.cpu = String(r.cpu);
  if (r.memory) amounts.memory = String(r.memory);
  return { requests: { ...amounts }, limits: { ...amounts } };
}

/** kaniko needs root in its container but not privilege: these capabilities cover RUN steps. */
// SETFCAP: kaniko restores security.capability xattrs (ping in many base images) with Lsetxattr; it is on the Pod Security baseline list.
const KANIKO_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID', 'KILL', 'SETFCAP'];

function podShell(input: PodSettings & { podName: string }, labels: Record<string, string>): Pick<V1Pod, 'apiVersion' | 'kind' | 'metadata'> & { spec: NonNullable<V1Pod['spec']> } {
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
export function kanikoPod(input: KanikoPodInput): V1Pod {
  const pod = podShell(input, managedLabels(input.runId, { [COMPONENT_LABEL]: 'build', [IMAGE_LABEL]: input.imageName }));
  const workspace = { name: 'workspace', mountPath: WORKSPACE };
  pod.spec.volumes = [{ name: 'workspace', emptyDir: {} }, ...(input.dockerConfigSecret ? [{ name: 'docker-config', secret: { secretName: input.dockerConfigSecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] } }] : [])];
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
  return pod as V1Pod;
}

export interface SmokePodInput extends PodSettings {
  podName: string;
  imageName: string;
  /** Image under test, pinned by digest. */
  image: string;
  testName: string;
  run: string;
}

/** A pod that runs one smoke command with `sh -c` in the image under test. */
export function smokePod(input: SmokePodInput): V1Pod {
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
  return pod as V1Pod;
}

/** The docker-config Secret for named credentials (kaniko's /kaniko/.docker/config.json). */
export function credentialsSecret(input: { name: string; namespace: string; runId: string; imageName: string; dockerConfigJson: string; ownerReferences?: V1OwnerReference[] }): V1Secret {
  return dockerConfigSecret({
    name: input.name,
    namespace: input.namespace,
    labels: managedLabels(input.runId, { [COMPONENT_LABEL]: 'registry-credentials', [IMAGE_LABEL]: input.imageName }),
    dockerConfigJson: input.dockerConfigJson,
    ownerReferences: input.ownerReferences,
  });
}
