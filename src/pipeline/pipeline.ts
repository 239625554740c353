// The whole build: validate -> plan -> build in graph order -> push -> smoke-test, and a
// report per image. Shared by the root action and `build-image build`; the caller chooses the
// builder and where the log lines go.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createPlan } from '../plan/index.js';
import type { Plan, PlannedImage } from '../plan/types.js';
import type { Builder, SmokeResult } from '../builders/types.js';
import { scheduleBuilds, type BuildAvoidance, type ImageOutcome, type ImageStatus } from './scheduler.js';
import { promotionTags, testTag, type BuildOrigin } from './tags.js';
import { findBuiltFromInputs } from './avoidance.js';
import { smokeTest, describeSmoke, type SmokeCheck } from './smoke.js';
import { mermaidBlock } from '../graph/mermaid.js';
import type { RegistryClient } from '../systems/registry/client.js';
import { type CredentialSources } from '../systems/registry/credentials.js';
import { createRegistryClient } from '../systems/registry/setup.js';
import { parseReference } from '../systems/registry/reference.js';
import { describeError } from '../lib/errors.js';

/** Which images to build: all, what changed since a commit (and descendants), or by name. */
export type ImageSelection = { kind: 'all' } | { kind: 'changed'; since?: string } | { kind: 'names'; names: string[] };

export interface PipelineOptions {
  /** The template repository (or a folder inside it). */
  dir: string;
  selection: ImageSelection;
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
  const split = (repository: string) => {
    const ref = parseReference(repository);
    return { registry: ref.registry, repository: ref.repository };
  };
  return {
    find: ({ repository, inputHash }) => findBuiltFromInputs(client, split(repository), inputHash),
    async tag(repository, digest, tags) {
      const repo = split(repository);
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
  const plan = await createPlan(options.dir, {
    ...(since !== undefined ? { since } : {}),
    ...(names !== undefined ? { names } : {}),
    ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
    ...((options.conventionRegistry ?? options.registry) ? { conventionRegistry: options.conventionRegistry ?? options.registry } : {}),
    ...(options.credentials?.named ? { credentialNames: options.credentials.named.map((c) => c.name) } : {}),
  });
  const requested = options.selection.kind === 'all' ? Object.keys(plan.images) : plan.order;
  options.onPlan?.(plan, requested);

  const insecureRegistries = [...(options.insecureRegistries ?? [])];
  const client = createRegistryClient({ insecure: insecureRegistries, ...options.credentials });
  const lookups = options.registryLookups ?? true;
  const avoidance = options.avoidance === false || !lookups ? undefined : (options.avoidance ?? registryAvoidance(client));
  const smokeWanted = options.smoke ?? true;
  const baseDigests = new Map<string, Promise<string | undefined>>();

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
            const ref = parseReference(reference);
            return (await client.headManifest({ registry: ref.registry, repository: ref.repository }, ref.tag ?? 'latest'))?.digest;
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
    contextDir: (image: PlannedImage) => resolve(plan.root, image.context),
    ...(smokeWanted
      ? {
          verify: (image: PlannedImage, reference: string, signal: AbortSignal): Promise<SmokeCheck> =>
            smokeTest(options.builder, image, reference, { insecureRegistries, signal, log: (line) => options.log(image.name, line) }),
        }
      : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    log: options.log,
    ...(options.onStart ? { onStart: options.onStart } : {}),
    ...(options.onBuilt ? { onBuilt: options.onBuilt } : {}),
    onSettled: (outcome) => options.onSettled?.(reportOf(outcome, plan)),
  });
  const images: Record<string, ImageReport> = {};
  for (const outcome of outcomes) images[outcome.name] = reportOf(outcome, plan);
  const ok = Object.values(images).every((r) => (r.status === 'built' || r.status === 'reused') && !r.untestedAncestors);
  return { plan, images, ok };
}

// ---------------------------------------------------------------------------------------------
// Reporting

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The `images` output of the action: per image name, what was pushed and how it went. */
export function imagesOutput(result: PipelineResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const report of Object.values(result.images)) {
    out[report.name] = {
      status: report.status,
      digest: report.digest ?? null,
      reference: report.reference ?? null,
      repository: report.repository,
      tags: report.tags,
      smoke: report.smoke,
      durationMs: report.durationMs,
      ...(report.reason ? { reason: report.reason } : {}),
      ...(report.untestedAncestors ? { untestedAncestors: report.untestedAncestors } : {}),
      // What a promotion step should do once this image and all its ancestors passed:
      // `build-image promote <repository> --digest <digest> --from <from> --to <to>`.
      ...(report.digest && (report.status === 'built' || report.status === 'reused') && report.smoke !== 'failed' && !report.untestedAncestors
        ? { promote: { from: testTag(result.plan.images[report.name]!), to: promotionTags(result.plan.images[report.name]!) } }
        : {}),
    };
  }
  return out;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The job summary: counts, the graph as mermaid, a row per image, and why anything failed. */
export function summaryMarkdown(result: PipelineResult): string {
  const reports = Object.values(result.images);
  const count = (status: ImageStatus): number => reports.filter((r) => r.status === status).length;
  const counts = (['built', 'reused', 'failed', 'skipped', 'cancelled'] as const)
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s}`)
    .join(', ');
  const lines = [
    `## build-image: ${result.ok ? 'all images ready' : 'some images did not build'}`,
    '',
    counts ? `${counts}.` : 'Nothing to build: no image changed.',
    mermaidBlock(result.plan),
  ];
  if (reports.length > 0) {
    lines.push('| Image | Result | Digest | Duration | Smoke tests |', '| --- | --- | --- | --- | --- |');
    for (const r of reports) {
      const digest = r.digest ? `\`${r.digest.slice(0, 19)}…\`` : '';
      const smoke = r.smokeResults ? describeSmoke({ passed: r.smoke === 'passed', results: r.smokeResults }) : r.smoke;
      lines.push(`| ${cell(r.name)}${r.requested ? '' : ' (ancestor)'} | ${r.status}${r.untestedAncestors ? ' on an untested parent' : ''} | ${digest} | ${r.status === 'skipped' ? '' : seconds(r.durationMs)} | ${cell(smoke)} |`);
    }
    lines.push('');
  }
  const problems = reports.filter((r) => r.reason);
  if (problems.length > 0) {
    lines.push('### Problems', '');
    for (const r of problems) lines.push(`- **${r.name}** ${r.status}: ${cell(r.reason!)}`);
    for (const r of reports) {
      for (const s of r.smokeResults ?? []) {
        if (s.passed) continue;
        lines.push('', `<details><summary>${r.name}: smoke test ${s.name} (exit code ${s.exitCode})</summary>`, '', '```', s.output.split('\n').slice(-30).join('\n'), '```', '</details>');
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A plain-text table for the CLI. */
export function summaryText(result: PipelineResult): string {
  const rows = Object.values(result.images).map((r) => [
    r.name,
    r.untestedAncestors ? `${r.status} (untested parent)` : r.status,
    r.reference ?? '',
    r.status === 'skipped' ? '' : seconds(r.durationMs),
    r.smokeResults ? describeSmoke({ passed: r.smoke === 'passed', results: r.smokeResults }) : r.smoke,
  ]);
  const header = ['IMAGE', 'RESULT', 'REFERENCE', 'TIME', 'SMOKE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (row: string[]): string => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [format(header), ...rows.map(format)];
  for (const r of Object.values(result.images)) if (r.reason) lines.push(`${r.name}: ${r.status}: ${r.reason}`);
  return lines.join('\n') + '\n';
}
