// W1b: the nightly. Rebuilds an image when something it is built on moved upstream (an outside
// base's digest, a linked source repository's commit, its build context's ref), when an
// ancestor is rebuilt, or when it was never built; otherwise does nothing at all: no build, no
// push, no tag moved. Reads the labels each build records (src/pipeline/tags.ts) from the
// image's `test` tag and compares them with what the registry and `git ls-remote` say now.
import { createPlan, selectImages } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import { runPipeline, type PipelineOptions, type PipelineResult } from '../pipeline/pipeline.js';
import type { ImageStatus } from '../pipeline/scheduler.js';
import { destinationRepository, testTag } from '../pipeline/tags.js';
import { createRegistryClient } from '../systems/registry/setup.js';
import { parseRepository } from '../systems/registry/reference.js';
import type { RegistryClient, RepositoryName } from '../systems/registry/client.js';
import { mapLimit } from '../lib/concurrency.js';
import { AggregateUserError, describeError } from '../lib/errors.js';
import { decide, type PublishedImage } from './changes.js';

export interface NightlyOptions extends Omit<PipelineOptions, 'selection' | 'avoidance' | 'onPlan'> {
  /** Rebuild every image whatever moved (the workflow's `force` input); no reuse either. */
  force?: boolean;
  /** Decide and report only: build nothing. */
  checkOnly?: boolean;
  /** Receives the decisions before anything is built. */
  onDecided?(decisions: Readonly<Record<string, NightlyImage>>): void;
}

export interface NightlyImage {
  name: string;
  /** Rebuilt tonight (or would be, with checkOnly). */
  changed: boolean;
  reasons: string[];
  /** What the build did, when it ran. */
  status?: ImageStatus;
  reference?: string;
}

export interface NightlyResult {
  /** True when any image was due and went through the build (or, with checkOnly, would). */
  changed: boolean;
  images: Record<string, NightlyImage>;
  /** The build, when one ran. */
  pipeline?: PipelineResult;
  /** False when a rebuild failed. */
  ok: boolean;
  plan: Plan;
}

/** The manifest digest and labels at `repository:tag`, or undefined when the tag does not exist. */
export function readPublished(client: RegistryClient, repository: RepositoryName, tag: string): Promise<PublishedImage | undefined> {
  return client.imageLabels(repository, tag);
}

/** Decides every image of the repository; builds what changed (everything with `force`). */
export async function runNightly(options: NightlyOptions): Promise<NightlyResult> {
  const plan = await createPlan(options.dir, {
    ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
    ...((options.conventionRegistry ?? options.registry) ? { conventionRegistry: options.conventionRegistry ?? options.registry } : {}),
    ...(options.credentials?.named ? { credentialNames: options.credentials.named.map((c) => c.name) } : {}),
  });
  const client = createRegistryClient({ insecure: [...(options.insecureRegistries ?? [])], ...options.credentials });
  const names = plan.order;
  const errors: Error[] = [];

  // What is published now, and what the outside bases point at now; each asked once.
  const published = new Map<string, PublishedImage | undefined>();
  const where = new Map(
    names.map((name) => {
      const image = plan.images[name]!;
      return [name, { repository: destinationRepository(image.repository, options.registry), tag: testTag(image) }];
    }),
  );
  const externals = [...new Set(names.flatMap((n) => plan.images[n]!.externalBases))];
  const baseDigests: Record<string, string> = {};
  await mapLimit([...names.map((n) => ({ kind: 'image' as const, key: n })), ...externals.map((r) => ({ kind: 'base' as const, key: r }))], 8, async (item) => {
    try {
      if (item.kind === 'image') {
        const { repository, tag } = where.get(item.key)!;
        published.set(item.key, await readPublished(client, parseRepository(repository), tag));
      } else {
        const digest = await client.currentDigest(item.key);
        if (digest === undefined) throw new Error('no such image in the registry');
        baseDigests[item.key] = digest;
      }
    } catch (err) {
      errors.push(new Error(`${item.kind === 'image' ? `${item.key} (${where.get(item.key)!.repository})` : `base ${item.key}`}: ${describeError(err)}`));
    }
  });
  // Deciding on half the facts could skip a rebuild that is due, or push one that is not.
  if (errors.length) throw new AggregateUserError('nightly: could not read what is published now', errors);

  const images: Record<string, NightlyImage> = {};
  for (const name of names) {
    const image = plan.images[name]!;
    const parents = Object.fromEntries(image.parents.map((p) => [p, { changed: images[p]?.changed ?? false, ...(published.get(p) ? { digest: published.get(p)!.digest } : {}) }]));
    const { repository, tag } = where.get(name)!;
    const decision = options.force ? { changed: true, reasons: ['forced: every image is rebuilt'] } : decide({ image, published: published.get(name), publishedAt: `${repository}:${tag}`, baseDigests, parents });
    images[name] = { name, ...decision };
  }
  options.onDecided?.(images);
  const rebuild = names.filter((n) => images[n]!.changed);
  if (rebuild.length === 0 || options.checkOnly) return { changed: rebuild.length > 0, images, ok: true, plan };

  const pipeline = await runPipeline({
    ...options,
    selection: { kind: 'names', names: rebuild },
    // The plan made above, with the due images selected: no second read, check and hash.
    plan: selectImages(plan, new Map(rebuild.map((n) => [n, images[n]!.reasons]))),
    // Forced means built again; otherwise unchanged ancestors that come along are reused.
    ...(options.force ? { avoidance: false as const } : {}),
  });
  for (const report of Object.values(pipeline.images)) {
    const entry = images[report.name];
    if (!entry) continue;
    entry.status = report.status;
    if (report.reference) entry.reference = report.reference;
  }
  // A due image may come back as `reused` (its inputs were built once before, e.g. a base that
  // moved back): its tags moved all the same, so promotion has work to do.
  return { changed: true, images, pipeline, ok: pipeline.ok, plan };
}

/** A plain-text table for the CLI: image, rebuilt or not, result, why. */
export function nightlyText(result: NightlyResult): string {
  const rows = Object.values(result.images).map((i) => [i.name, i.changed ? 'rebuild' : 'unchanged', i.status ?? '', i.reasons.join('; ')]);
  const header = ['IMAGE', 'DECISION', 'RESULT', 'WHY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (row: string[]): string =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format), `changed=${result.changed}`].join('\n') + '\n';
}

/** The JSON report: `changed` and, per image, the decision, the reasons and what the build did. */
export function nightlyJson(result: NightlyResult): { changed: boolean; images: Record<string, NightlyImage> } {
  return { changed: result.changed, images: result.images };
}
