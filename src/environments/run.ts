// One entry for the CLI (`build-image env ...`) and the action (actions/environment): build,
// up, status or down, with the systems set up from plain settings. Both only translate their
// inputs into EnvironmentRunSettings and print the result.
import { stringify } from 'yaml';
import type { Builder } from '../builders/types.js';
import { createRegistryClient } from '../systems/registry/setup.js';
import type { CredentialSources } from '../systems/registry/credentials.js';
import { redactSecretData } from '../systems/kube/manifests.js';
import { UserError } from '../lib/errors.js';
import {
  buildImage,
  deploy,
  environmentStatus,
  objectsFor,
  prepareImage,
  secretObjects,
  secretsUsed,
  takeDown,
  type BuiltImage,
  type DownResult,
  type EnvironmentOptions,
  type PreparedImage,
  type SecretValues,
  type UpResult,
} from './environment.js';
import { statusText, type EnvironmentStatus } from './report.js';
import { environmentObjectName } from './manifests.js';

export const OPERATIONS = ['build', 'up', 'status', 'down'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface EnvironmentRunSettings {
  operation: Operation;
  dir: string;
  name: string;
  registry?: string;
  insecureRegistries: string[];
  credentials?: CredentialSources;
  /** Made on demand: `build` and `up` need one, `status` and `down` do not. */
  builder?: () => Promise<Builder>;
  namespace?: string;
  kubeconfig?: string;
  assets?: { folder?: string; image?: string };
  githubServerUrl?: string;
  githubToken?: string;
  imageRepository?: string;
  secrets?: SecretValues;
  timeoutMs?: number;
  minReadySeconds?: number;
  deleteVolumes?: boolean;
  dryRun?: boolean;
  log: (line: string) => void;
  signal?: AbortSignal;
}

export interface EnvironmentRunResult {
  ok: boolean;
  /** What to print on stdout. */
  text: string;
  image?: BuiltImage | PreparedImage;
  up?: UpResult;
  status?: EnvironmentStatus;
  down?: DownResult;
}

async function kube(settings: EnvironmentRunSettings): Promise<{ workloads: import('../systems/kube/workloads.js').Workloads; namespace: string }> {
  const { KubeClient } = await import('../systems/kube/client.js');
  const { Workloads } = await import('../systems/kube/workloads.js');
  const client = new KubeClient({ ...(settings.kubeconfig ? { kubeconfigPath: settings.kubeconfig } : {}), onRetry: (m) => settings.log(m) });
  return { workloads: new Workloads(client), namespace: settings.namespace ?? client.defaultNamespace() };
}

function options(settings: EnvironmentRunSettings): EnvironmentOptions {
  const named = settings.credentials?.named ?? [];
  return {
    dir: settings.dir,
    name: settings.name,
    registryClient: createRegistryClient({ named, insecure: settings.insecureRegistries }),
    insecureRegistries: settings.insecureRegistries,
    ...(settings.registry ? { registry: settings.registry } : {}),
    ...(settings.assets ? { assets: settings.assets } : {}),
    ...(settings.githubServerUrl ? { githubServerUrl: settings.githubServerUrl } : {}),
    ...(settings.githubToken ? { githubToken: settings.githubToken } : {}),
    ...(settings.imageRepository ? { imageRepository: settings.imageRepository } : {}),
    log: settings.log,
    ...(settings.signal ? { signal: settings.signal } : {}),
  };
}

function imageText(image: BuiltImage): string {
  return `${image.environment.name}: ${image.reused ? 'reused' : 'built'} ${image.reference} (${image.pinned}) in ${(image.durationMs / 1000).toFixed(1)} s\n`;
}

/** What `--dry-run` prints: the personalised Dockerfile, then the objects `up` would apply (secret values redacted). */
async function dryRun(settings: EnvironmentRunSettings): Promise<EnvironmentRunResult> {
  const prepared = await prepareImage(options(settings));
  const parts = [
    `# personalised image ${prepared.reference} (build ID ${prepared.buildId})\n`,
    prepared.dockerfile
      .split('\n')
      .map((l) => (l ? `# ${l}` : '#'))
      .join('\n'),
    '\n',
  ];
  if (settings.operation !== 'build') {
    const namespace = settings.namespace ?? 'default';
    const pinned = `${prepared.repository}:${prepared.tag}`;
    const objects = objectsFor({ ...prepared, pinned }, namespace, settings.minReadySeconds);
    // Without the identity a dry run still shows which Secrets and keys `up` would create, values redacted.
    const used = secretsUsed(prepared.environment);
    const placeholder: SecretValues = { values: async (name) => Object.fromEntries([...(used.get(name) ?? [])].map((k) => [k, ''])) };
    const secrets = await secretObjects(prepared.environment, namespace, settings.secrets ?? placeholder);
    for (const object of [...secrets.map(redactSecretData), ...objects.claims, objects.deployment]) parts.push(`---\n${stringify(object, { aliasDuplicateObjects: false })}`);
  }
  return { ok: true, text: parts.join(''), image: prepared };
}

export async function runEnvironment(settings: EnvironmentRunSettings): Promise<EnvironmentRunResult> {
  if (settings.dryRun) {
    if (settings.operation === 'status' || settings.operation === 'down') throw new UserError(`--dry-run applies to build and up, not ${settings.operation}`);
    return dryRun(settings);
  }
  switch (settings.operation) {
    case 'build': {
      if (!settings.builder) throw new UserError('env build needs a builder');
      const builder = await settings.builder();
      try {
        const image = await buildImage(options(settings), builder);
        return { ok: true, text: imageText(image), image };
      } finally {
        await builder.cleanup();
      }
    }
    case 'up': {
      if (!settings.builder) throw new UserError('env up needs a builder');
      const builder = await settings.builder();
      let image: BuiltImage;
      try {
        image = await buildImage(options(settings), builder);
      } finally {
        await builder.cleanup();
      }
      settings.log(imageText(image).trimEnd());
      const { workloads, namespace } = await kube(settings);
      const up = await deploy(image, {
        namespace,
        workloads,
        ...(settings.secrets ? { secrets: settings.secrets } : {}),
        ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
        ...(settings.minReadySeconds !== undefined ? { minReadySeconds: settings.minReadySeconds } : {}),
        log: settings.log,
        ...(settings.signal ? { signal: settings.signal } : {}),
      });
      return { ok: up.status.state === 'ready', text: statusText(up.status), image, up, status: up.status };
    }
    case 'status': {
      const { workloads, namespace } = await kube(settings);
      const status = await environmentStatus(settings.name, { namespace, workloads });
      return { ok: status.state === 'ready', text: statusText(status), status };
    }
    case 'down': {
      const { workloads, namespace } = await kube(settings);
      const down = await takeDown(settings.name, { namespace, workloads, ...(settings.deleteVolumes ? { deleteVolumes: true } : {}) });
      const lines = [
        down.deployment ? `${settings.name}: deployment ${namespace}/${environmentObjectName(settings.name)} deleted` : `${settings.name}: not deployed in namespace ${namespace}`,
        ...(down.secrets.length ? [`secrets deleted: ${down.secrets.join(', ')}`] : []),
        ...(down.claims.length ? [`volumes deleted: ${down.claims.join(', ')}`] : []),
        ...(down.keptClaims.length ? [`volumes kept: ${down.keptClaims.join(', ')} (delete them with --delete-volumes)`] : []),
      ];
      return { ok: true, text: `${lines.join('\n')}\n`, down };
    }
  }
}
