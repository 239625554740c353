// The whole build: validate -> plan -> build in graph order -> push -> smoke-test, and a
// report per image. Shared by the root action and `build-image build`; the caller chooses the
// builder and where the log lines go.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createPlan } from '../plan/index.js';
import type { Plan, PlannedImage } from '../plan/types.js';
import type { Builder, SmokeResult } from '../builders/types.js';
import { scheduleBuilds, type BuildAvoidance, type ImageOutcome, type ImageStatus } from './scheduler.js';
import { type BuildOrigin } from './tags.js';
import { findBuiltFromInputs } from './avoidance.js';
import { smokeTest, type SmokeCheck } from './smoke.js';
import type { RegistryClient } from '../systems/registry/client.js';
import { type CredentialSources } from '../systems/registry/credentials.js';
import { createRegistryClient } from '../systems/registry/setup.js';
import { parseRepository } from '../systems/registry/reference.js';
import { describeError } from '../lib/errors.js';
import { SourceContexts } from '../context/source.js';

/** Which images to build: all, what changed since a commit (and descendants), or by name. */
export type ImageSelection = { kind: 'all' } | { kind: 'changed'; since?: string } | { kind: 'names'; names: string[] };

export interface PipelineOptions {
  /** The template repository (or a folder inside it). */
  dir: string;
  selection: ImageSelection;
  /** A plan already made for this run (its selected images are built); then `selection` is not used. */
  plan?: Plan;
  builder: Builder;
  origin: BuildOrigin;
  /** The registry in use, `host[/path]`; see docs/building.md. Default: the templates' own. */
  registry?: string;
  insecureRegistries?: readonly string[];
  maxParallel: number;
  credentials?: CredentialSources;
  /** Build-arg overrides for every image declaring them (e.g. a base image mirror). */
  buildArgs?: Readonly<Record<string, string>>;
  /** Repository prefix for convention-layout images (`images/<name>/Dockerfile`); default `registry`. */
  conventionRegistry?: string;
  /** G4 lookups; default: the registry, through the registry client. `false` turns reuse off. */
  avoidance?: BuildAvoidance | false;
  /**
   * Ask the registry for outside bases' digests and for reusable images (default true).
   * Dry runs turn this off: they touch nothing.
   */
  registryLookups?: boolean;
  /** Run the templates' smoke tests (default true). */
  smoke?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Receives the plan before anything is built (for the summary graph, dry runs, logs). */
  onPlan?(plan: Plan, names: readonly string[]): void;
  log(name: string, line: string): void;
  onStart?(name: string): void;
  /** The image is pushed or reused; its smoke tests (and its children) run next. */
  onBuilt?(name: string): void;
  onSettled?(report: ImageReport): void;
}

export type SmokeStatus = 'passed' | 'failed' | 'none' | 'not run';

export interface ImageReport {
  name: string;
  status: ImageStatus;
  /** Asked for (selected or named), rather than an ancestor that came along. */
  requested: boolean;
  repository: string;
  digest?: string;
  /** `repository@digest`. */
  reference?: string;
  tags: string[];
  inputHash?: string;
  durationMs: number;
  smoke: SmokeStatus;
  smokeResults?: SmokeResult[];
  reason?: string;
  /** Ancestors whose smoke tests did not pass after this image was built on them: never promote it. */
  untestedAncestors?: string[];
}

export interface PipelineResult {
  plan: Plan;
  images: Record<string, ImageReport>;
  /** True when nothing failed, was skipped or was cancelled, and nothing is built on an untested parent. */
  ok: boolean;
}

function reportOf(outcome: ImageOutcome, plan: Plan): ImageReport {
  const report: ImageReport = {
    name: outcome.name,
    status: outcome.status,
    requested: outcome.requested,
    repository: outcome.repository,
    tags: outcome.tags,
    durationMs: outcome.durationMs,
    smoke: 'not run',
  };
  if (outcome.digest) report.digest = outcome.digest;
  if (outcome.reference) report.reference = outcome.reference;
  if (outcome.inputHash) report.inputHash = outcome.inputHash;
  if (outcome.reason) report.reason = outcome.reason;
  if (outcome.untestedAncestors) report.untestedAncestors = outcome.untestedAncestors;
  if (outcome.smoke) {
    report.smokeResults = outcome.smoke;
    report.smoke = outcome.smoke.every((r) => r.passed) ? (outcome.smoke.length ? 'passed' : 'none') : 'failed';
  } else if (plan.images[outcome.name]!.smoke.length === 0 && (outcome.status === 'built' || outcome.status === 'reused')) {
    report.smoke = 'none';
  }
  return report;
}

/**
 * G4 through the registry (src/avoidance.ts): an image whose `inputs-<hash>` tag exists and
 * whose label carries the same hash is reused; this run's tags are then pointed at it.
 */
export function registryAvoidance(client: RegistryClient): BuildAvoidance {
  return {
    find: ({ repository, inputHash }) => findBuiltFromInputs(client, parseRepository(repository), inputHash),
    async tag(repository, digest, tags) {
      const repo = parseRepository(repository);
      const manifest = await client.requireManifest(repo, digest);
      for (const tag of tags) {
        if ((await client.headManifest(repo, tag))?.digest === digest) continue;
        await client.putManifest(repo, tag, manifest);
      }
    },
  };
}

/** Runs the pipeline; never throws for a failed image (see `ok`), only for bad input or templates. */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const since = options.selection.kind === 'changed' ? options.selection.since : undefined;
  const names = options.selection.kind === 'names' ? options.selection.names : undefined;
  const plan =
    options.plan ??
    (await createPlan(options.dir, {
      ...(since !== undefined ? { since } : {}),
      ...(names !== undefined ? { names } : {}),
      ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
      ...((options.conventionRegistry ?? options.registry) ? { conventionRegistry: options.conventionRegistry ?? options.registry } : {}),
      ...(options.credentials?.named ? { credentialNames: options.credentials.named.map((c) => c.name) } : {}),
    }));
  const requested = !options.plan && options.selection.kind === 'all' ? Object.keys(plan.images) : plan.order;
  options.onPlan?.(plan, requested);

  const insecureRegistries = [...(options.insecureRegistries ?? [])];
  const client = createRegistryClient({ insecure: insecureRegistries, ...options.credentials });
  const lookups = options.registryLookups ?? true;
  const avoidance = options.avoidance === false || !lookups ? undefined : (options.avoidance ?? registryAvoidance(client));
  const smokeWanted = options.smoke ?? true;
  const baseDigests = new Map<string, Promise<string | undefined>>();
  const sourceContexts = new SourceContexts();

  const outcomes = await scheduleBuilds({
    plan,
    names: requested,
    builder: options.builder,
    maxParallel: options.maxParallel,
    origin: options.origin,
    ...(options.registry ? { registry: options.registry } : {}),
    insecureRegistries,
    ...(avoidance ? { avoidance } : {}),
    baseDigest: (reference, signal) => {
      if (signal.aborted || !lookups) return Promise.resolve(undefined);
      // One lookup per outside base per run, however many images build on it.
      let digest = baseDigests.get(reference);
      if (!digest) {
        digest = (async () => {
          try {
            return await client.currentDigest(reference);
          } catch (err) {
            options.log('', `warning: cannot read the digest of ${reference} (${describeError(err)}); hashing the reference instead`);
            return undefined;
          }
        })();
        baseDigests.set(reference, digest);
      }
      return digest;
    },
    loadDockerfile: (image: PlannedImage) => readFile(join(plan.root, image.dockerfile), 'utf8'),
    contextDir: (image: PlannedImage, signal: AbortSignal) => (image.source ? sourceContexts.dir(image.source, signal) : resolve(plan.root, image.context)),
    ...(smokeWanted
      ? {
          verify: (image: PlannedImage, reference: string, signal: AbortSignal): Promise<SmokeCheck> => smokeTest(options.builder, image, reference, { insecureRegistries, signal, log: (line) => options.log(image.name, line) }),
        }
      : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    log: options.log,
    ...(options.onStart ? { onStart: options.onStart } : {}),
    ...(options.onBuilt ? { onBuilt: options.onBuilt } : {}),
    onSettled: (outcome) => options.onSettled?.(reportOf(outcome, plan)),
  }).finally(() => sourceContexts.removeAll());
  const images: Record<string, ImageReport> = {};
  for (const outcome of outcomes) images[outcome.name] = reportOf(outcome, plan);
  const ok = Object.values(images).every((r) => (r.status === 'built' || r.status === 'reused') && !r.untestedAncestors);
  return { plan, images, ok };
}
