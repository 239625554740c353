// E2: the Kubernetes objects of one environment, as data. One Deployment (one replica) with the
// primary container and every sidecar; a PersistentVolumeClaim per sized volume (ReadWriteOnce,
// so the Deployment uses Recreate, as Coder's workspace Deployments do: two pods never fight over
// one disk). Everything carries the environment's labels, so status and `down` find it by one
// selector. Pure: no I/O.
import { createHash } from 'node:crypto';
import type { V1Container, V1Deployment, V1EnvVar, V1OwnerReference, V1PersistentVolumeClaim, V1Volume } from '@kubernetes/client-node';
import type { ContainerSpec, EnvironmentTemplate } from '../templates/types.js';
import { checkQuantity } from '../templates/quantity.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, COMPONENT_LABEL, labelValue } from '../systems/kube/labels.js';
import { environmentSecretName as kubeSecretName } from '../systems/kube/secrets.js';
import { UserError } from '../lib/errors.js';

export const ENVIRONMENT_LABEL = 'build-image.coder.com/environment';
export const POD_TEMPLATE_LABEL = 'build-image.coder.com/pod-template';
export const BUILD_ID_ANNOTATION = 'build-image.coder.com/build-id';
export const IMAGES_ANNOTATION = 'build-image.coder.com/images';
export const TEMPLATE_ANNOTATION = 'build-image.coder.com/template';
export const MIN_READY_SECONDS = 3;

/** Kubernetes object name for an environment (schema names may hold `.` and `_`). */
export function environmentObjectName(environment: string): string {
  const name = environment
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (name === '') throw new UserError(`environment name '${environment}' gives no usable Kubernetes name`);
  return name;
}

/** The labels on every object of one environment. */
export function environmentLabels(environment: string): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [COMPONENT_LABEL]: 'environment',
    'app.kubernetes.io/name': labelValue(environment),
    [ENVIRONMENT_LABEL]: labelValue(environment),
  };
}

/** The selector that finds every object of one environment. */
export function environmentSelector(environment: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${ENVIRONMENT_LABEL}=${labelValue(environment)}`;
}

/** A secrets file name as templates write it (`db` or `db.yaml`) to the secret's name (`db`). */
export function secretFileName(name: string): string {
  return name.replace(/\.ya?ml$/, '');
}

/** The Kubernetes Secret holding the values of one secrets file for one environment (named by the secrets module). */
export function environmentSecretName(environment: string, secret: string): string {
  return kubeSecretName(environment, secretFileName(secret));
}

export function claimName(environment: string, volume: string): string {
  return `${environmentObjectName(environment)}-${volume.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 253);
}

export interface DeploymentInput {
  template: EnvironmentTemplate;
  namespace: string;
  /** The image each container runs, by container name, pinned by digest where known. */
  images: Record<string, string>;
  /** The build ID of the personalised image (an annotation; a new one rolls the Deployment). */
  buildId: string;
  /** Maps a `fromSecret.name` to the Kubernetes Secret that holds it. */
  secretName?: (secret: string) => string;
  /** Extra env per container (e.g. a devcontainer's `containerEnv`). */
  extraEnv?: Record<string, Record<string, string>>;
  /** Where the templates came from, for the annotation (`acme/templates@main`, a path). */
  source?: string;
  /** Seconds a pod must stay ready to count as available (default MIN_READY_SECONDS). */
  minReadySeconds?: number;
}

export interface EnvironmentObjects {
  deployment: V1Deployment;
  claims: V1PersistentVolumeClaim[];
  /** Kubernetes Secret names the Deployment refers to (fromSecret). */
  secrets: string[];
}

function quantity(kind: 'cpu' | 'memory', raw: string | number, where: string): string {
  const q = checkQuantity(kind, raw);
  if (!q.ok) throw new UserError(`${where}: ${q.message}`);
  return q.value;
}

function envOf(container: ContainerSpec, secretName: (s: string) => string, extra: Record<string, string> | undefined, used: Set<string>): V1EnvVar[] {
  const env: V1EnvVar[] = Object.entries(extra ?? {}).map(([name, value]) => ({ name, value }));
  for (const e of container.env ?? []) {
    const existing = env.findIndex((x) => x.name === e.name);
    if (existing >= 0) env.splice(existing, 1);
    if (typeof e.value === 'object' && e.value !== null) {
      const name = secretName(e.value.fromSecret.name);
      used.add(name);
      env.push({ name: e.name, valueFrom: { secretKeyRef: { name, key: e.value.fromSecret.key } } });
    } else env.push({ name: e.name, value: String(e.value) });
  }
  return env;
}

/** A stable hash of the pod template, as a label: it tells this rollout's pods from older ones. */
export function podTemplateHash(spec: unknown): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/** The Deployment and claims of an environment. */
export function environmentObjects(input: DeploymentInput): EnvironmentObjects {
  const { template } = input;
  const name = environmentObjectName(template.name);
  const labels = environmentLabels(template.name);
  const secretName = input.secretName ?? ((s: string) => environmentSecretName(template.name, s));
  const usedSecrets = new Set<string>();
  const claims = new Map<string, V1PersistentVolumeClaim>();
  const volumes = new Map<string, V1Volume>();
  const pullSecrets = new Set<string>();

  const containers: V1Container[] = template.containers.map((c) => {
    const where = `environment '${template.name}', container '${c.name}'`;
    const image = input.images[c.name];
    if (!image) throw new UserError(`${where}: no image resolved`);
    const container: V1Container = { name: c.name, image, imagePullPolicy: 'IfNotPresent' };
    if (c.command) container.command = c.command;
    if (c.args) container.args = c.args;
    const env = envOf(c, secretName, input.extraEnv?.[c.name], usedSecrets);
    if (env.length > 0) container.env = env;
    if (c.ports?.length) container.ports = c.ports.map((p) => ({ containerPort: p }));
    const resources: Record<string, string> = {};
    if (c.cpu !== undefined) resources.cpu = quantity('cpu', c.cpu, where);
    if (c.memory !== undefined) resources.memory = quantity('memory', c.memory, where);
    if (Object.keys(resources).length > 0) container.resources = { requests: { ...resources }, limits: { ...resources } };
    if (c.credentials) pullSecrets.add(c.credentials);
    if (c.volumes?.length) {
      container.volumeMounts = c.volumes.map((v) => {
        const volumeName = v.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
        if (!volumes.has(volumeName)) {
          if (v.size !== undefined) {
            const claim = claimName(template.name, v.name);
            claims.set(volumeName, {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              metadata: { name: claim, namespace: input.namespace, labels },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: quantity('memory', v.size, `${where}, volume '${v.name}'`) } } },
            });
            volumes.set(volumeName, { name: volumeName, persistentVolumeClaim: { claimName: claim } });
          } else volumes.set(volumeName, { name: volumeName, emptyDir: {} });
        }
        return { name: volumeName, mountPath: v.mountPath };
      });
    }
    return container;
  });

  // The primary container first: `kubectl exec` and `logs` default to the first container.
  const primary = template.containers.findIndex((c) => c.primary === true);
  if (primary > 0) containers.unshift(...containers.splice(primary, 1));

  const podSpec = {
    containers,
    ...(volumes.size > 0 ? { volumes: [...volumes.values()] } : {}),
    ...(pullSecrets.size > 0 ? { imagePullSecrets: [...pullSecrets].sort().map((n) => ({ name: n })) } : {}),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
  };
  const hash = podTemplateHash({ podSpec, buildId: input.buildId });
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: input.namespace,
      labels,
      annotations: {
        [BUILD_ID_ANNOTATION]: input.buildId,
        [IMAGES_ANNOTATION]: JSON.stringify(input.images),
        ...(input.source ? { [TEMPLATE_ANNOTATION]: input.source } : {}),
      },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [ENVIRONMENT_LABEL]: labels[ENVIRONMENT_LABEL]!, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
      // A ReadWriteOnce disk can be attached to one pod only: stop the old pod before the new one.
      strategy: claims.size > 0 ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      revisionHistoryLimit: 2,
      // Available only after staying ready this long: a container that starts and dies at once
      // fails the rollout instead of passing it (for us and for `kubectl rollout status`).
      minReadySeconds: input.minReadySeconds ?? MIN_READY_SECONDS,
      progressDeadlineSeconds: 600,
      template: {
        metadata: { labels: { ...labels, [POD_TEMPLATE_LABEL]: hash }, annotations: { [BUILD_ID_ANNOTATION]: input.buildId } },
        spec: podSpec,
      },
    },
  };
  return { deployment, claims: [...claims.values()], secrets: [...usedSecrets].sort() };
}

/** An owner reference to the environment's Deployment: the garbage collector removes its Secrets with it. */
export function deploymentOwnerReference(deployment: { name: string; uid: string }): V1OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.name, uid: deployment.uid, blockOwnerDeletion: false, controller: false };
}

/** True when the Deployment in the cluster already runs what `wanted` describes (same pod template hash). */
export function isUpToDate(current: V1Deployment | undefined, wanted: V1Deployment): boolean {
  const have = current?.spec?.template?.metadata?.labels?.[POD_TEMPLATE_LABEL];
  return have !== undefined && have === wanted.spec?.template?.metadata?.labels?.[POD_TEMPLATE_LABEL];
}
