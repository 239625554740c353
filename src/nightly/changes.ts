// W1b, the decision half of the nightly: has anything an image is built on moved since it was
// last built? Pure: compares the labels of the published `test` image (what it was built on)
// with what the registry and the source repositories say now.
import type { PlannedImage } from '../plan/types.js';
import { combineInputHash, inputBases, pinnedDigest } from '../graph/hash.js';
import { BASE_LABEL_PREFIX, INPUTS_LABEL, PARENT_LABEL_PREFIX, SOURCE_LABEL_PREFIX, parseBaseLabel, parseSourceLabel } from '../pipeline/tags.js';

/** The image last built for a template: its manifest digest and its labels. */
export interface PublishedImage {
  digest: string;
  labels: Readonly<Record<string, string>>;
}

export interface NightlyDecision {
  changed: boolean;
  /** Why it is rebuilt, or what was checked and found unchanged. */
  reasons: string[];
}

export interface DecisionInput {
  image: PlannedImage;
  /** Where the image was looked for, e.g. `127.0.0.1:5000/acme/dev:test`. */
  published: PublishedImage | undefined;
  publishedAt: string;
  /** Outside base reference -> its digest in the registry now. */
  baseDigests: Readonly<Record<string, string>>;
  /** Each template parent: rebuilt by this nightly, and its published digest now. */
  parents: Readonly<Record<string, { changed: boolean; digest?: string }>>;
}

function short(digestOrCommit: string): string {
  const hex = digestOrCommit.replace(/^sha256:/, '');
  return digestOrCommit.startsWith('sha256:') ? `sha256:${hex.slice(0, 12)}` : hex.slice(0, 12);
}

/** The bases part of the input hash, as the build will hash them (graph/hash inputBases). */
export function currentBases(image: PlannedImage, input: Pick<DecisionInput, 'baseDigests' | 'parents'>): Record<string, string> | undefined {
  return inputBases(image, Object.fromEntries(image.parents.map((p) => [p, input.parents[p]?.digest])), input.baseDigests);
}

/**
 * Decides one image. Rebuilt when: it was never built; an outside base's digest moved (or was
 * never recorded); a linked source repository or the spec.source ref has new commits; a parent
 * is rebuilt tonight or is no longer the digest it was built on; or its inputs differ from the
 * ones recorded (the templates changed and no build followed).
 */
export function decide(input: DecisionInput): NightlyDecision {
  const { image, published } = input;
  if (!published) return { changed: true, reasons: [`never built: no ${input.publishedAt}`] };
  const labels = published.labels;
  const label = (prefix: string) => Object.entries(labels).filter(([k]) => k.startsWith(prefix));
  const reasons: string[] = [];
  const checked: string[] = [];

  const recordedBases = new Map(
    label(BASE_LABEL_PREFIX).flatMap(([, v]) => {
      const b = parseBaseLabel(v);
      return b ? [[b.reference, b.digest] as const] : [];
    }),
  );
  for (const reference of image.externalBases) {
    if (pinnedDigest(reference)) continue; // a digest cannot move
    const now = input.baseDigests[reference];
    const then = recordedBases.get(reference);
    if (now === undefined) continue; // the caller fails the run when a base cannot be read
    if (then === undefined) reasons.push(`base ${reference}: no digest recorded on the last build; now ${short(now)}`);
    else if (then !== now) reasons.push(`base ${reference} moved: ${short(then)} -> ${short(now)}`);
    else checked.push(`base ${reference} still ${short(now)}`);
  }

  const recordedSources = label(SOURCE_LABEL_PREFIX).flatMap(([, v]) => {
    const s = parseSourceLabel(v);
    return s ? [s] : [];
  });
  for (const source of image.sources ?? []) {
    const name = `${source.url}${source.ref ? ` (${source.ref})` : ''}`;
    const then = recordedSources.find((s) => s.url === source.url && (s.ref ?? '') === (source.ref ?? ''));
    if (!then) reasons.push(`source ${name}: no commit recorded on the last build; now ${short(source.commit)}`);
    else if (then.commit !== source.commit) reasons.push(`source ${name} has new commits: ${short(then.commit)} -> ${short(source.commit)}`);
    else checked.push(`source ${name} still ${short(source.commit)}`);
  }
  if (image.source) {
    const then = labels['org.opencontainers.image.revision'];
    const name = `${image.source.url}${image.source.ref ? ` (${image.source.ref})` : ''}`;
    if (then !== image.source.commit) reasons.push(`build context ${name} has new commits: ${then ? short(then) : 'unknown'} -> ${short(image.source.commit)}`);
    else checked.push(`build context ${name} still ${short(then)}`);
  }

  for (const parent of image.parents) {
    const now = input.parents[parent];
    if (now?.changed) {
      reasons.push(`parent ${parent} is rebuilt`);
      continue;
    }
    const then = labels[`${PARENT_LABEL_PREFIX}${parent}`];
    const thenDigest = then?.slice(then.lastIndexOf('@') + 1);
    if (now?.digest === undefined) reasons.push(`parent ${parent} has no published image`);
    else if (thenDigest !== undefined && thenDigest !== now.digest) reasons.push(`parent ${parent} is at ${short(now.digest)}, built on ${short(thenDigest)}`);
    else checked.push(`parent ${parent} still ${short(now.digest)}`);
  }

  if (reasons.length === 0) {
    // Nothing upstream moved; the inputs as they are now must be what was built, or the
    // templates changed without a build since.
    const bases = currentBases(image, input);
    const recorded = labels[INPUTS_LABEL];
    if (bases && recorded !== undefined && combineInputHash(image.contentHash, bases) !== recorded.replace(/^sha256:/, '')) {
      reasons.push('the template, Dockerfile or context changed since the last build');
    }
  }
  if (reasons.length > 0) return { changed: true, reasons };
  return { changed: false, reasons: [`unchanged since ${short(published.digest)}${checked.length ? `: ${checked.join('; ')}` : ''}`] };
}
