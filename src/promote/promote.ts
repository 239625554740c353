// Promotion (P3): move target tags to the digest that passed its tests, by digest, all or
// nothing. Three phases so a failure leaves nothing half-promoted:
//   1. check: every source still points at its tested digest; read each target's current
//      digest (its "previous" digest, for the record and for rollback);
//   2. stage: copy content into target repositories that lack it (mounts or streamed copy;
//      this moves no tag, so it is harmless if a later step fails);
//   3. move: put the manifest bytes under each target tag; if one put fails, put back the
//      previous manifests of the tags already moved.
import { AggregateUserError, UsageError, UserError, describeError } from '../lib/errors.js';
import { formatRepository, type RegistryClient, type RepositoryName } from '../systems/registry/client.js';
import { copyImageContent, copyMethod, type CopyMethod } from '../systems/registry/copy.js';
import { limiter, mapLimit } from '../lib/concurrency.js';
import { cell } from '../lib/markdown.js';
import type { ManifestBytes } from '../systems/registry/types.js';
import { parseReference, type ImageReference } from '../systems/registry/reference.js';

export interface PromotionTarget extends RepositoryName {
  tag: string;
}

export interface PromotionRequest {
  /** The repository holding the tested image. */
  source: RepositoryName;
  /** The tag that must still point at `digest` (e.g. `test`). */
  fromTag?: string;
  /** The digest that passed its tests. Without it, whatever `fromTag` points at now. */
  digest?: string;
  targets: PromotionTarget[];
}

export interface TargetOutcome {
  /** `host/repo:tag` */
  reference: string;
  previousDigest: string | null;
  digest: string;
  changed: boolean;
  method: CopyMethod;
}

export interface PromotionOutcome {
  /** `host/repo:test@sha256:…` */
  source: string;
  digest: string;
  targets: TargetOutcome[];
}

export interface PromotionReport {
  promoted: PromotionOutcome[];
  /** The command that puts every changed tag back where it was (empty when nothing changed). */
  rollback: string[];
}

export interface PromoteOptions {
  concurrency?: number;
  /** Flags to repeat in the printed rollback command (e.g. `--insecure`). */
  rollbackFlags?: string[];
  log?: (line: string) => void;
}

interface Checked {
  request: PromotionRequest;
  manifest: ManifestBytes;
  previous: (string | null)[];
}

/** Target tags: `latest,stable` in the source repository, or full `host/repo:tag` references. */
export function parseTargets(text: string[], source: ImageReference): PromotionTarget[] {
  const entries = text
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  if (entries.length === 0) entries.push('latest');
  return entries.map((entry) => {
    if (entry.includes('/')) {
      const ref = parseReference(entry);
      if (!ref.tag || ref.digest) throw new UserError(`target ${entry}: a target reference needs a tag and no digest`);
      return { registry: ref.registry, repository: ref.repository, tag: ref.tag };
    }
    if (!/^[\w][\w.-]{0,127}$/.test(entry)) throw new UserError(`target '${entry}' is not a valid tag`);
    return { registry: source.registry, repository: source.repository, tag: entry };
  });
}

export function formatTarget(t: PromotionTarget): string {
  return `${formatRepository(t)}:${t.tag}`;
}

function formatSource(r: PromotionRequest): string {
  return `${formatRepository(r.source)}${r.fromTag ? `:${r.fromTag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** Phase 1 for one image: the manifest to promote and the targets' current digests. */
async function check(client: RegistryClient, request: PromotionRequest): Promise<Checked> {
  const where = formatSource(request);
  if (!request.fromTag && !request.digest) throw new UserError(`${where}: give the tag that was tested or its digest`);
  if (request.targets.length === 0) throw new UserError(`${where}: no target tags`);
  // The source manifest and the targets' current digests at once: one round trip, not two.
  const previousPromise = Promise.all(request.targets.map(async (t) => (await client.headManifest(t, t.tag))?.digest ?? null));
  previousPromise.catch(() => undefined); // reported below, after the source's own error if any
  let manifest: ManifestBytes | undefined;
  if (request.fromTag) {
    manifest = await client.getManifest(request.source, request.fromTag);
    if (!manifest) throw new UserError(`${formatRepository(request.source)}:${request.fromTag} does not exist`);
    if (request.digest && manifest.digest !== request.digest) {
      throw new UserError(`${formatRepository(request.source)}:${request.fromTag} now points at ${manifest.digest}, not at the tested ${request.digest}: it moved since it was tested; refusing to promote`);
    }
  } else {
    manifest = await client.getManifest(request.source, request.digest!);
    if (!manifest) throw new UserError(`${formatRepository(request.source)}@${request.digest} does not exist`);
  }
  const previous = await previousPromise;
  return { request, manifest, previous };
}

/**
 * Promotes a set of images, all or nothing. Throws a UserError when a check fails (nothing
 * moved) or when a move fails (the tags already moved are put back; the message says so).
 */
export async function promote(client: RegistryClient, requests: readonly PromotionRequest[], options: PromoteOptions = {}): Promise<PromotionReport> {
  // Manifest requests are small: as many in flight as the keep-alive agent has sockets.
  const concurrency = options.concurrency ?? 32;
  const log = options.log ?? (() => undefined);
  const seen = new Set<string>();
  for (const r of requests) {
    for (const t of r.targets) {
      const key = formatTarget(t);
      if (seen.has(key)) throw new UserError(`${key} is a target more than once`);
      seen.add(key);
    }
  }

  // 1. check everything before moving anything
  const limit = limiter(concurrency);
  const results = await Promise.allSettled(requests.map((r) => limit(() => check(client, r))));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length === 1) throw new UserError(`nothing promoted: ${describeError(failures[0])}`);
  if (failures.length > 1) throw new AggregateUserError(`nothing promoted: ${failures.length} of ${requests.length} images failed their checks`, failures);
  const checked = results.map((r) => (r as PromiseFulfilledResult<Checked>).value);

  // 2. stage content in other repositories (no tag moves)
  await mapLimit(
    checked.flatMap((c) => c.request.targets.map((t, i) => ({ c, t, i }))),
    Math.max(1, Math.floor(concurrency / 4)),
    async ({ c, t, i }) => {
      if (c.previous[i] === c.manifest.digest) return;
      const method = copyMethod(c.request.source, t);
      if (method === 'none') return;
      log(`${formatTarget(t)}: ${method === 'mount' ? 'mounting blobs from' : 'copying blobs from'} ${formatRepository(c.request.source)}`);
      await copyImageContent(client, c.manifest, c.request.source, t);
    },
  ).catch((err: unknown) => {
    throw new UserError(`nothing promoted: ${describeError(err)}`);
  });

  // 3. move the tags; on failure put back what moved
  const moves = checked.flatMap((c) => c.request.targets.map((t, i) => ({ c, t, previous: c.previous[i]!, changed: c.previous[i] !== c.manifest.digest })));
  const moved: typeof moves = [];
  try {
    // the source must not have moved while content was staged
    await mapLimit(
      checked.filter((c) => c.request.fromTag && c.request.digest),
      concurrency,
      async (c) => {
        const now = await client.headManifest(c.request.source, c.request.fromTag!);
        if (now?.digest !== c.manifest.digest) {
          throw new UserError(`${formatRepository(c.request.source)}:${c.request.fromTag} moved to ${now?.digest ?? 'nothing'} during the promotion; refusing to promote`);
        }
      },
    );
    await mapLimit(
      moves.filter((m) => m.changed),
      concurrency,
      async (m) => {
        await client.putManifest(m.t, m.t.tag, m.c.manifest);
        moved.push(m);
        log(`${formatTarget(m.t)}: ${m.previous ?? '(new)'} -> ${m.c.manifest.digest}`);
      },
    );
  } catch (err) {
    const restored: string[] = [];
    const notRestored: string[] = [];
    for (const m of moved) {
      try {
        if (m.previous) {
          const prev = await client.getManifest(m.t, m.previous);
          if (!prev) throw new Error(`previous manifest ${m.previous} is gone`, { cause: err });
          await client.putManifest(m.t, m.t.tag, prev);
        } else {
          await client.deleteManifest(m.t, m.t.tag);
        }
        restored.push(formatTarget(m.t));
      } catch (undoError) {
        notRestored.push(`${formatTarget(m.t)} (${m.previous ? `should be ${m.previous}` : 'did not exist before'}: ${describeError(undoError)})`);
      }
    }
    const lines = [`promotion failed: ${describeError(err)}`];
    lines.push(moved.length === 0 ? 'no tag had moved' : `rolled back: ${restored.join(', ') || 'none'}`);
    if (notRestored.length) lines.push(`NOT rolled back: ${notRestored.join('; ')}`);
    throw new UserError(lines.join('\n'));
  }

  const promoted: PromotionOutcome[] = checked.map((c) => ({
    source: `${formatRepository(c.request.source)}${c.request.fromTag ? `:${c.request.fromTag}` : ''}@${c.manifest.digest}`,
    digest: c.manifest.digest,
    targets: c.request.targets.map((t, i) => ({
      reference: formatTarget(t),
      previousDigest: c.previous[i]!,
      digest: c.manifest.digest,
      changed: c.previous[i] !== c.manifest.digest,
      method: copyMethod(c.request.source, t),
    })),
  }));
  return { promoted, rollback: rollbackCommands(promoted, options.rollbackFlags ?? []) };
}

/**
 * The commands that put every changed tag back at its previous digest: one command per set of
 * tags, each naming `repo@previous` for every image that had those tags.
 */
export function rollbackCommands(promoted: readonly PromotionOutcome[], flags: readonly string[]): string[] {
  // repo@previous -> tags
  const tagsByImage = new Map<string, string[]>();
  for (const p of promoted) {
    for (const t of p.targets) {
      if (!t.changed || !t.previousDigest) continue;
      const colon = t.reference.lastIndexOf(':');
      const key = `${t.reference.slice(0, colon)}@${t.previousDigest}`;
      tagsByImage.set(key, [...(tagsByImage.get(key) ?? []), t.reference.slice(colon + 1)]);
    }
  }
  const byTags = new Map<string, string[]>();
  for (const [image, tags] of tagsByImage) {
    const key = tags.sort().join(',');
    byTags.set(key, [...(byTags.get(key) ?? []), image]);
  }
  return [...byTags.entries()].map(([tags, images]) => ['build-image promote', ...images, '--to', tags, ...flags].join(' '));
}

/** One entry of the build-image action's `images` output, as far as promotion reads it. */
export interface BuiltImage {
  status?: string;
  reason?: string;
  digest?: string | null;
  repository?: string;
  smoke?: string;
  /** Set when the image was built on a parent whose smoke tests then failed: never promoted. */
  untestedAncestors?: string[];
  promote?: { from: string; to: string[] };
}

/** How the CLI and the action name their options in messages. */
export interface RequestVocabulary {
  /** What the references came from, e.g. `input 'images'` or `promote`. */
  source: string;
  /** How to say "give a from tag or a digest", e.g. `give --from TAG or --digest sha256:...`. */
  fromOrDigest: string;
  /** Missing options are a usage error (exit 2) on the command line. */
  usageErrors?: boolean;
}

/**
 * Promotion requests from references as people write them (`REPO[:TAG][@DIGEST]`), with the
 * tag and digest defaults and the target tags given beside them. Shared by the CLI and the action.
 */
export function requestsFromReferences(texts: readonly string[], defaults: { from?: string; digest?: string; to: readonly string[] }, words: RequestVocabulary): PromotionRequest[] {
  if (texts.length === 0) throw new UserError(`${words.source}: name at least one repository to promote (REPO[:TAG][@DIGEST])`);
  return texts.map((text) => {
    const ref = parseReference(text);
    const fromTag = ref.tag ?? defaults.from;
    const digest = ref.digest ?? defaults.digest;
    if (!fromTag && !digest) {
      const message = `${words.source}: ${text} has no tag or digest; ${words.fromOrDigest}`;
      throw words.usageErrors ? new UsageError(message) : new UserError(message);
    }
    return { source: { registry: ref.registry, repository: ref.repository }, fromTag, digest, targets: parseTargets([...defaults.to], ref) };
  });
}

/**
 * Promotion requests for what a build pushed and tested: every image with a `promote` hint
 * (built or reused, smoke tests passed or none declared) moves its hint's tags to exactly the
 * digest that was tested, and only if the test tag still points at it. The rest are listed
 * as not promoted, with why.
 */
export function requestsFromBuild(images: Readonly<Record<string, BuiltImage>>): { requests: PromotionRequest[]; notPromoted: NotPromoted[] } {
  const requests: PromotionRequest[] = [];
  const notPromoted: NotPromoted[] = [];
  for (const [name, image] of Object.entries(images)) {
    if (image.untestedAncestors?.length || !image.promote || !image.digest || !image.repository) {
      notPromoted.push({ name, ...(image.repository ? { repository: image.repository } : {}), reason: whyNotPromoted(image) });
      continue;
    }
    const source = parseReference(image.repository);
    requests.push({
      source: { registry: source.registry, repository: source.repository },
      fromTag: image.promote.from,
      digest: image.digest,
      targets: image.promote.to.map((tag) => ({ registry: source.registry, repository: source.repository, tag })),
    });
  }
  return { requests, notPromoted };
}

/** An image of the build that was left out of the promotion, and why. */
export interface NotPromoted {
  name: string;
  repository?: string;
  reason: string;
}

function whyNotPromoted(image: BuiltImage): string {
  // The build words this one (built on an untested parent: the smoke tests of 'base' did not pass).
  if (image.untestedAncestors?.length) return image.reason ?? `built on an untested parent (${image.untestedAncestors.join(', ')})`;
  const detail = image.reason ? `: ${image.reason}` : '';
  if (image.smoke === 'failed') return `its smoke tests failed${detail}`;
  switch (image.status) {
    case 'failed':
      return `the build failed${detail}`;
    case 'skipped':
      return `not built${detail || ' (a parent failed)'}`;
    case 'cancelled':
      return 'the build was cancelled';
    case 'built':
    case 'reused':
      return image.digest ? 'no promotion target in the build output' : 'no digest in the build output';
    default:
      return `status ${image.status ?? 'unknown'}${detail}`;
  }
}

/** The promote action's job summary: every tag moved (previous and new digest), what was left out and why, the rollback. */
export function promotionSummaryMarkdown(report: PromotionReport | undefined, notPromoted: readonly NotPromoted[] = []): string {
  const lines = ['## Promotion', ''];
  const targets = report?.promoted.flatMap((p) => p.targets) ?? [];
  if (targets.length === 0) lines.push('Nothing was promoted.', '');
  else {
    lines.push('| Tag | Previous digest | New digest | |', '| --- | --- | --- | --- |');
    for (const t of targets) {
      lines.push(`| \`${t.reference}\` | ${t.previousDigest ? `\`${t.previousDigest}\`` : '(new)'} | \`${t.digest}\` | ${t.changed ? (t.method === 'none' ? 'moved' : `moved (${t.method})`) : 'unchanged'} |`);
    }
    lines.push('');
  }
  if (notPromoted.length > 0) {
    lines.push(`### Not promoted (${notPromoted.length})`, '', '| Image | Repository | Why |', '| --- | --- | --- |');
    for (const n of notPromoted) lines.push(`| ${cell(n.name)} | ${n.repository ? `\`${cell(n.repository)}\`` : ''} | ${cell(n.reason)} |`);
    lines.push('');
  }
  if (report?.rollback.length) lines.push('To roll back:', '', '```sh', ...report.rollback, '```', '');
  return lines.join('\n');
}
