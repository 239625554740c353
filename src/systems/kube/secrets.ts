// The Kubernetes Secrets of an environment: `Opaque`, labelled with the environment and the
// secret they come from, owned by the environment's Deployment (so the garbage collector removes
// them with it), updated in place, and removed by label when the environment goes. Values never
// leave this module except inside the request body.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { UserError } from '../../lib/errors.js';
import type { KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { labelValue, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './labels.js';
import { redactSecretData } from './manifests.js';

export const ENVIRONMENT_LABEL = 'build-image.coder.com/environment';
export const SECRET_LABEL = 'build-image.coder.com/secret';

export interface EnvironmentSecret {
  namespace: string;
  environment: string;
  /** The secret's name in the repo (its file name). */
  secret: string;
  /** Clear values by key; they go base64-encoded into `data`. */
  values: Record<string, string>;
  /** The environment's Deployment: the Secret is deleted with it. */
  owner?: { name: string; uid: string };
}

/** `<environment>-<secret>`, a DNS subdomain of at most 253 characters. */
export function environmentSecretName(environment: string, secret: string): string {
  const clean = (s: string): string =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '');
  return `${clean(environment)}-${clean(secret)}`.slice(0, 253).replace(/[-.]+$/, '');
}

export function environmentSelector(environment: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${ENVIRONMENT_LABEL}=${labelValue(environment)}`;
}

export function deploymentOwnerReference(deployment: { name: string; uid: string }): V1OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.name, uid: deployment.uid, controller: false, blockOwnerDeletion: true };
}

/** The Secret manifest (pure). Print it only through `redactedSecret`. */
export function environmentSecretManifest(input: EnvironmentSecret): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: environmentSecretName(input.environment, input.secret),
      namespace: input.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ENVIRONMENT_LABEL]: labelValue(input.environment), [SECRET_LABEL]: labelValue(input.secret) },
      ...(input.owner ? { ownerReferences: [deploymentOwnerReference(input.owner)] } : {}),
    },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(input.values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}

/** The manifest with every value replaced by `<redacted>`: what logs, dry runs and summaries show. */
export function redactedSecret(manifest: V1Secret): V1Secret {
  return redactSecretData(manifest as V1Secret & { data?: Record<string, string> });
}

function sameContent(a: V1Secret, b: V1Secret): boolean {
  const json = (v: unknown): string => JSON.stringify(v ?? null, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
  const owners = (s: V1Secret) => (s.metadata?.ownerReferences ?? []).map(({ apiVersion, kind, name, uid }) => ({ apiVersion, kind, name, uid }));
  return a.type === b.type && json(a.data) === json(b.data) && json(a.metadata?.labels) === json(b.metadata?.labels) && json(owners(a)) === json(owners(b));
}

/**
 * Creates the Secret, or replaces the one this environment owns in place (same object, new
 * resourceVersion). Refuses to touch a Secret of that name that build-image did not create.
 */
export async function applyEnvironmentSecret(client: KubeClient, manifest: V1Secret): Promise<'created' | 'updated' | 'unchanged'> {
  const namespace = manifest.metadata!.namespace!;
  const name = manifest.metadata!.name!;
  for (let attempt = 1; ; attempt++) {
    const existing = await client.findSecret(namespace, name);
    if (!existing) {
      await client.createSecret(namespace, manifest);
      return 'created';
    }
    const labels = existing.metadata?.labels ?? {};
    const wanted = manifest.metadata!.labels![ENVIRONMENT_LABEL];
    if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE || labels[ENVIRONMENT_LABEL] !== wanted) {
      throw new UserError(`secret ${namespace}/${name} exists and does not belong to environment '${wanted}' (labels ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}, ${ENVIRONMENT_LABEL}=${wanted}); not replacing it`);
    }
    if (sameContent(existing, manifest)) return 'unchanged';
    const body: V1Secret = { ...manifest, metadata: { ...manifest.metadata, resourceVersion: existing.metadata?.resourceVersion } };
    try {
      await client.call(`replacing secret ${namespace}/${name}`, () => client.core.replaceNamespacedSecret({ namespace, name, body }));
      return 'updated';
    } catch (err) {
      // Someone changed it between our read and write: read again (a few times) and retry.
      if (err instanceof KubeError && err.status === 409 && attempt < 3) continue;
      throw err;
    }
  }
}

/** Every Secret of the environment; names only leave with their keys, never values. */
export async function listEnvironmentSecrets(client: KubeClient, namespace: string, environment: string): Promise<V1Secret[]> {
  return client.listSecrets(namespace, environmentSelector(environment));
}

/** Deletes the environment's Secrets (those not in `keep`); returns the names deleted. */
export async function deleteEnvironmentSecrets(client: KubeClient, namespace: string, environment: string, keep: readonly string[] = []): Promise<string[]> {
  const names = (await listEnvironmentSecrets(client, namespace, environment)).map((s) => s.metadata!.name!).filter((n) => !keep.includes(n));
  await Promise.all(names.map((n) => client.deleteSecret(namespace, n)));
  return names.sort();
}
