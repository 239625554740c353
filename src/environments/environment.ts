// E1 + E2: build an environment's personalised image, deploy it, report its status, take it
// down. The data (Dockerfile, build ID, manifests, verdict, tables) comes from the pure modules
// beside this one; this file only orders the calls to the registry, the builder and Kubernetes.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { V1Deployment, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Builder } from '../builders/types.js';
import type { RegistryClient } from '../systems/registry/client.js';
import { parseRepository } from '../systems/registry/reference.js';
import { FileHasher } from '../graph/hash.js';
import { validateRepo, InvalidTemplatesError } from '../plan/index.js';
import type { ContainerSpec, EnvironmentTemplate, TemplateRepo } from '../templates/types.js';
import { closest } from '../lib/suggest.js';
import { UserError, describeError } from '../lib/errors.js';
import type { Workloads } from '../systems/kube/workloads.js';
import { buildId, buildTag, personalisedDockerfile, personalisedRepository, stepProblems, type AssetsSource } from './personalize.js';
import { devcontainerPaths, devcontainerTag, parseDevcontainer, type DevcontainerSpec } from './devcontainer.js';
import { fetchTemplateRepo, localTemplateRepo, lookupImage, lookupReference, resolveTemplateImage, type ResolvedImage, type TemplateSource } from './resolve.js';
import { deploymentOwnerReference, environmentObjectName, environmentObjects, environmentSelector, isUpToDate, secretFileName, type EnvironmentObjects } from './manifests.js';
import { currentPods, rolloutVerdict, type Verdict } from './rollout.js';
import { environmentSecretManifest } from '../systems/kube/secrets.js';
import { statusFrom, type EnvironmentStatus } from './report.js';

/**
 * Clear values of the environment's secrets files. The secrets module (sops + age) decrypts
 * them; tests pass values directly. Implementations mask every value before returning it.
 */
export interface SecretValues {
  /** The keys and clear values of secrets file `name` (`db`). */
  values(name: string): Promise<Record<string, string>>;
}

export interface EnvironmentOptions {
  /** The templates repository (a folder holding `.coder/`). */
  dir: string;
  /** Environment name. */
  name: string;
  /** Registry for built images (as `build --registry`): template repositories are placed under it. */
  registry?: string;
  registryClient: RegistryClient;
  /** Registry hosts reached over plain HTTP or unverified TLS (the builder's pushes and pulls). */
  insecureRegistries?: readonly string[];
  /** The platform's assets, copied to /tmp/coder: a folder, or an image. */
  assets?: { folder?: string; image?: string };
  /** Where `github: owner/repo` repositories are fetched from (default https://github.com). */
  githubServerUrl?: string;
  githubToken?: string;
  /** Override where the personalised image goes (default: beside the parent, `env-<name>`). */
  imageRepository?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** What `env build` decided and made. */
export interface PreparedImage {
  environment: EnvironmentTemplate;
  primary: ContainerSpec;
  parent: ResolvedImage;
  devcontainer?: DevcontainerSpec;
  buildId: string;
  dockerfile: string;
  /** `repository:build-<id>` */
  reference: string;
  repository: string;
  tag: string;
  /** Build context: the assets folder, or an empty folder. */
  contextDir?: string;
  /** Images of the other containers, as the Deployment will name them. */
  sidecars: Record<string, string>;
}

export interface BuiltImage extends PreparedImage {
  digest: string;
  /** `repository@digest` */
  pinned: string;
  reused: boolean;
  durationMs: number;
}

function log(options: EnvironmentOptions, line: string): void {
  options.log?.(line);
}

/** Loads and validates the templates, and finds the environment. */
export function loadEnvironment(dir: string, name: string): { repo: TemplateRepo; environment: EnvironmentTemplate } {
  const validation = validateRepo(dir);
  const environment = validation.repo.environments.find((e) => e.name === name);
  if (!environment) {
    const names = validation.repo.environments.map((e) => e.name);
    const near = closest(name, names);
    throw new UserError(`no environment '${name}' in ${join(validation.root, '.coder', 'environments')}${near ? ` (did you mean '${near}'?)` : names.length ? ` (known: ${names.join(', ')})` : ''}`);
  }
  // This environment's own file and the image templates; another environment's mistakes do not block this one.
  const own = validation.problems.filter((p) => p.file === environment.file || p.file.startsWith('.coder/images/') || !p.file.startsWith('.coder/'));
  if (own.length > 0) throw new InvalidTemplatesError(own);
  return { repo: validation.repo, environment };
}

export function primaryOf(environment: EnvironmentTemplate): ContainerSpec {
  return environment.containers.find((c) => c.primary === true) ?? environment.containers[0]!;
}

async function templateSource(repo: TemplateRepo, container: ContainerSpec, options: EnvironmentOptions): Promise<TemplateSource> {
  if (container.github) {
    log(options, `fetching ${container.github}${container.tag ? ` at ${container.tag}` : ''} from ${options.githubServerUrl ?? 'https://github.com'}`);
    return fetchTemplateRepo(container.github, container.tag, { serverUrl: options.githubServerUrl ?? 'https://github.com', ...(options.githubToken ? { token: options.githubToken } : {}) });
  }
  return localTemplateRepo(repo, container.tag);
}

/** The image a container names: a template (here or in `github`), else a plain reference. */
async function resolveContainerImage(repo: TemplateRepo, container: ContainerSpec, options: EnvironmentOptions): Promise<ResolvedImage> {
  const isTemplate = container.github !== undefined || repo.images.some((t) => t.name === container.image);
  if (!isTemplate) return lookupReference(options.registryClient, container.image!);
  const source = await templateSource(repo, container, options);
  try {
    return await resolveTemplateImage(options.registryClient, source, container.image!, container.tag, {
      ...(options.registry ? { registry: options.registry } : {}),
      where: container.github ? `${container.github}${container.tag ? `@${container.tag}` : ''}` : 'this repository',
    });
  } finally {
    await source.dispose();
  }
}

function assetsOf(options: EnvironmentOptions): AssetsSource {
  if (options.assets?.folder && options.assets.image) throw new UserError('give the assets as a folder or as an image, not both');
  if (options.assets?.folder) {
    const folder = resolve(options.assets.folder);
    if (!existsSync(folder)) throw new UserError(`assets folder ${options.assets.folder} does not exist`);
    return { kind: 'folder', files: new FileHasher().context(folder) };
  }
  return { kind: 'none' };
}

/** Resolves the parent and computes the personalised Dockerfile and build ID; builds nothing. */
export async function prepareImage(options: EnvironmentOptions, builder?: Builder): Promise<PreparedImage> {
  const { repo, environment } = loadEnvironment(options.dir, options.name);
  const primary = primaryOf(environment);
  // Bad steps are the template's fault: say so before asking any registry anything.
  const stepErrors = stepProblems(primary.personalize ?? []);
  if (stepErrors.length > 0) throw new UserError(`${environment.file}: container '${primary.name}': ${stepErrors.join('; ')}`);
  let parent: ResolvedImage;
  let devcontainer: DevcontainerSpec | undefined;
  if (primary.devcontainer) {
    devcontainer = parseDevcontainer(primary.devcontainer, readFileSync(join(repo.root, primary.devcontainer), 'utf8'));
    parent = await devcontainerParent(repo.root, environment, devcontainer, options, builder);
  } else parent = await resolveContainerImage(repo, primary, options);
  log(options, `${primary.name}: ${parent.describe} is ${parent.pinned}`);

  let assets = assetsOf(options);
  if (options.assets?.image) {
    const image = await lookupReference(options.registryClient, options.assets.image);
    assets = { kind: 'image', reference: image.pinned };
  }
  const steps = primary.personalize ?? [];
  const input = {
    environment: environment.name,
    parentRepository: parent.repository,
    parentDigest: parent.digest,
    parentUser: devcontainer?.remoteUser ?? parent.user,
    assets,
    steps,
  };
  const id = buildId(input);
  const repository = options.imageRepository ?? personalisedRepository(parent.repository, environment.name);
  const tag = buildTag(id);
  const sidecars: Record<string, string> = {};
  for (const c of environment.containers) {
    if (c === primary) continue;
    const isTemplate = c.github !== undefined || repo.images.some((t) => t.name === c.image);
    sidecars[c.name] = isTemplate ? (await resolveContainerImage(repo, c, options)).pinned : c.image!;
  }
  return {
    environment,
    primary,
    parent,
    ...(devcontainer ? { devcontainer } : {}),
    buildId: id,
    dockerfile: personalisedDockerfile(input),
    reference: `${repository}:${tag}`,
    repository,
    tag,
    ...(options.assets?.folder ? { contextDir: resolve(options.assets.folder) } : {}),
    sidecars,
  };
}

/** A devcontainer's parent: its image as written, or its Dockerfile built once per content hash. */
async function devcontainerParent(root: string, environment: EnvironmentTemplate, spec: DevcontainerSpec, options: EnvironmentOptions, builder: Builder | undefined): Promise<ResolvedImage> {
  if (spec.parent.kind === 'image') return lookupReference(options.registryClient, spec.parent.reference);
  const paths = devcontainerPaths(root, spec.parent);
  if (!existsSync(paths.dockerfile)) throw new UserError(`${spec.file}: build.dockerfile ${spec.parent.dockerfile} does not exist`);
  const dockerfile = readFileSync(paths.dockerfile, 'utf8');
  const tag = devcontainerTag(new FileHasher().context(paths.context), dockerfile, spec.parent.args);
  const base = options.imageRepository ?? personalisedRepository(`${registryPrefix(options)}/${environment.name}`, environment.name);
  const repository = `${base}-devcontainer`;
  const describe = `${spec.file} (built)`;
  const existing = await options.registryClient.headManifest(parseRepository(repository), tag);
  if (!existing) {
    if (!builder) throw new UserError(`${spec.file}: its image is not built yet (${repository}:${tag}); run 'build-image env build ${environment.name}'`);
    log(options, `building ${spec.file} as ${repository}:${tag}`);
    await builder.build({
      name: `${environment.name}-devcontainer`,
      contextDir: paths.context,
      dockerfile,
      destinations: [`${repository}:${tag}`],
      buildArgs: spec.parent.args,
      labels: {},
      insecureRegistries: insecureHosts(options),
      log: (line) => log(options, line),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  return lookupImage(options.registryClient, repository, [tag], describe);
}

function registryPrefix(options: EnvironmentOptions): string {
  if (!options.registry) throw new UserError('a devcontainer build needs --registry (where to push its image)');
  return options.registry.replace(/\/+$/, '');
}

function insecureHosts(options: EnvironmentOptions): string[] {
  return [...(options.insecureRegistries ?? [])];
}

/**
 * E1: the personalised image. Its build-ID tag already in the registry means the same inputs
 * were built before: reuse it, push nothing.
 */
export async function buildImage(options: EnvironmentOptions, builder: Builder): Promise<BuiltImage> {
  const started = Date.now();
  const prepared = await prepareImage(options, builder);
  const existing = await options.registryClient.headManifest(parseRepository(prepared.repository), prepared.tag);
  if (existing) {
    log(options, `${prepared.reference} already exists (build ID ${prepared.buildId.slice(0, 20)}): reusing it`);
    return { ...prepared, digest: existing.digest, pinned: `${prepared.repository}@${existing.digest}`, reused: true, durationMs: Date.now() - started };
  }
  let contextDir = prepared.contextDir;
  let empty: string | undefined;
  if (!contextDir) contextDir = empty = await mkdtemp(join(tmpdir(), 'build-image-env-'));
  try {
    log(options, `building ${prepared.reference}`);
    const result = await builder.build({
      name: `env-${prepared.environment.name}`,
      contextDir,
      dockerfile: prepared.dockerfile,
      destinations: [prepared.reference],
      buildArgs: {},
      labels: {},
      // One layer per personalize step: a changed last step rebuilds (and pulls) only that layer.
      layers: true,
      insecureRegistries: insecureHosts(options),
      ...(prepared.primary.credentials ? { credentials: prepared.primary.credentials } : {}),
      log: (line) => log(options, line),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ...prepared, digest: result.digest, pinned: `${prepared.repository}@${result.digest}`, reused: false, durationMs: Date.now() - started };
  } finally {
    if (empty) await rm(empty, { recursive: true, force: true });
  }
}

// ---- deploy ----

export interface DeployOptions {
  namespace: string;
  workloads: Workloads;
  secrets?: SecretValues;
  /** How long to wait for the rollout (default 10 minutes). */
  timeoutMs?: number;
  /** Log lines per container in a failure report. */
  logLines?: number;
  /** Seconds a pod must stay ready before the environment counts as up (default 3): an instant crash fails the rollout. */
  minReadySeconds?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** The Kubernetes objects for a built image (what `up` applies and `--dry-run` prints). */
export function objectsFor(image: Pick<BuiltImage, 'environment' | 'primary' | 'pinned' | 'sidecars' | 'buildId' | 'devcontainer'>, namespace: string, minReadySeconds?: number): EnvironmentObjects {
  return environmentObjects({
    ...(minReadySeconds !== undefined ? { minReadySeconds } : {}),
    template: image.environment,
    namespace,
    images: { ...image.sidecars, [image.primary.name]: image.pinned },
    buildId: image.buildId,
    ...(image.devcontainer ? { extraEnv: { [image.primary.name]: image.devcontainer.containerEnv } } : {}),
  });
}

/** The secrets files an environment reads (`db`), and the keys it needs from each. */
export function secretsUsed(environment: EnvironmentTemplate): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  for (const c of environment.containers) {
    for (const e of c.env ?? []) {
      if (typeof e.value !== 'object' || e.value === null) continue;
      const file = secretFileName(e.value.fromSecret.name);
      if (!used.has(file)) used.set(file, new Set());
      used.get(file)!.add(e.value.fromSecret.key);
    }
  }
  return used;
}

/** Opaque Secrets for the environment, one per secrets file (the secrets module's manifests: labelled, owned when `owner` is known). */
export async function secretObjects(environment: EnvironmentTemplate, namespace: string, source: SecretValues | undefined, owner?: { name: string; uid: string }): Promise<V1Secret[]> {
  const used = secretsUsed(environment);
  if (used.size === 0) return [];
  if (!source) throw new UserError(`environment '${environment.name}' reads the secrets ${[...used.keys()].join(', ')}; give the age identity that decrypts them (--identity, $SOPS_AGE_KEY_FILE)`);
  const secrets: V1Secret[] = [];
  for (const secret of [...used.keys()].sort()) {
    const values = await source.values(secret);
    secrets.push(environmentSecretManifest({ namespace, environment: environment.name, secret, values, ...(owner ? { owner } : {}) }));
  }
  return secrets;
}

async function readState(workloads: Workloads, namespace: string, environment: string): Promise<{ deployment?: V1Deployment; pods: V1Pod[] }> {
  const deployment = await workloads.findDeployment(namespace, environmentObjectName(environment));
  const pods = deployment ? await workloads.listPods(namespace, environmentSelector(environment)) : [];
  return { ...(deployment ? { deployment } : {}), pods };
}

/** Last log lines of every container of the rollout's pods. */
async function logTails(workloads: Workloads, namespace: string, deployment: V1Deployment, pods: V1Pod[], lines: number): Promise<Record<string, string>> {
  const logs: Record<string, string> = {};
  for (const pod of currentPods(deployment, pods)) {
    for (const c of pod.spec?.containers ?? []) {
      const text = await workloads.logTail(namespace, pod.metadata!.name!, c.name, lines);
      if (text.trim()) logs[`${pod.metadata!.name}/${c.name}`] = text;
    }
  }
  return logs;
}

export interface UpResult {
  status: EnvironmentStatus;
  /** 'created', 'updated', or 'unchanged' ("is up to date"). */
  change: 'created' | 'updated' | 'unchanged';
  image: BuiltImage;
  durationMs: number;
}

/** E2: applies the environment's Secrets, claims and Deployment, then waits for the rollout verdict. */
export async function deploy(image: BuiltImage, options: DeployOptions): Promise<UpResult> {
  const started = Date.now();
  const { namespace, workloads } = options;
  const say = (line: string): void => options.log?.(line);
  const name = image.environment.name;
  const objects = objectsFor(image, namespace, options.minReadySeconds);
  const before = await workloads.findDeployment(namespace, objects.deployment.metadata!.name!);
  const owner = before?.metadata?.uid ? { name: before.metadata.name!, uid: before.metadata.uid } : undefined;
  const secrets = await secretObjects(image.environment, namespace, options.secrets, owner);

  for (const secret of secrets) await workloads.applySecret(secret);
  for (const claim of objects.claims) {
    const outcome = await workloads.ensureClaim(claim);
    say(`claim ${claim.metadata!.name}: ${outcome === 'created' ? 'created' : 'kept (existing disk)'}`);
  }

  let change: UpResult['change'];
  let deployment: V1Deployment;
  if (before && isUpToDate(before, objects.deployment)) {
    change = 'unchanged';
    deployment = before;
  } else {
    const applied = await workloads.applyDeployment(objects.deployment);
    deployment = applied.deployment;
    change = applied.created ? 'created' : 'updated';
    say(`deployment ${namespace}/${deployment.metadata!.name} ${change} (build ID ${image.buildId.slice(0, 20)})`);
  }
  const ownerRef = deploymentOwnerReference({ name: deployment.metadata!.name!, uid: deployment.metadata!.uid! });
  for (const secret of secrets) await workloads.ownSecret(namespace, secret.metadata!.name!, ownerRef);

  const timeoutMs = options.timeoutMs ?? 600_000;
  let last = '';
  let verdict: Verdict;
  let pods: V1Pod[] = [];
  try {
    verdict = await workloads.watchDeployment(
      namespace,
      deployment.metadata!.name!,
      async (d) => {
        deployment = d;
        pods = await workloads.listPods(namespace, environmentSelector(name));
        const v = rolloutVerdict(d, pods);
        if (v.message !== last) say((last = v.message));
        return v.state === 'waiting' ? undefined : v;
      },
      { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
  } catch (err) {
    if (options.signal?.aborted) throw err;
    verdict = { state: 'failed', reason: 'Timeout', message: `not ready after ${Math.round(timeoutMs / 1000)} s: ${last || describeError(err)}` };
  }
  const status = statusFrom(name, namespace, deployment, currentPods(deployment, pods), verdict);
  if (verdict.state === 'failed') status.logs = await logTails(workloads, namespace, deployment, pods, options.logLines ?? 20);
  if (change === 'unchanged' && verdict.state === 'ready') status.message = `${name} is up to date`;
  return { status, change, image, durationMs: Date.now() - started };
}

/** The status of a deployed environment (or 'absent'). */
export async function environmentStatus(name: string, options: Pick<DeployOptions, 'namespace' | 'workloads' | 'logLines'>): Promise<EnvironmentStatus> {
  const { deployment, pods } = await readState(options.workloads, options.namespace, name);
  if (!deployment) return statusFrom(name, options.namespace, undefined, [], undefined);
  const verdict = rolloutVerdict(deployment, pods);
  const status = statusFrom(name, options.namespace, deployment, currentPods(deployment, pods), verdict);
  if (verdict.state === 'failed') status.logs = await logTails(options.workloads, options.namespace, deployment, pods, options.logLines ?? 20);
  return status;
}

export interface DownResult {
  deployment: boolean;
  secrets: string[];
  claims: string[];
  keptClaims: string[];
}

/** Deletes the Deployment (its pods go with it) and the environment's Secrets; claims only when asked. */
export async function takeDown(name: string, options: Pick<DeployOptions, 'namespace' | 'workloads'> & { deleteVolumes?: boolean; timeoutMs?: number }): Promise<DownResult> {
  const { namespace, workloads } = options;
  const selector = environmentSelector(name);
  const objectName = environmentObjectName(name);
  const deleted = await workloads.deleteDeployment(namespace, objectName);
  if (deleted) await workloads.waitForDeploymentGone(namespace, objectName, options.timeoutMs ?? 60000);
  // Owned Secrets go with the Deployment; delete by label too, for any left by an interrupted `up`.
  const secrets = (await workloads.listSecrets(namespace, selector)).map((s) => s.metadata!.name!);
  for (const s of secrets) await workloads.deleteSecret(namespace, s);
  const claims = (await workloads.listClaims(namespace, selector)).map((c) => c.metadata!.name!);
  if (options.deleteVolumes) for (const c of claims) await workloads.deleteClaim(namespace, c);
  return { deployment: deleted, secrets, claims: options.deleteVolumes ? claims : [], keptClaims: options.deleteVolumes ? [] : claims };
}
