// B4: where each built image is pushed and what it says about itself. Pure.
//
// Destinations of one image, all in one repository:
//   <repo>:test               the freshly built image, smoke-tested before promotion
//   <repo>:<commit sha>       the full 40-hex commit the image was built from
//   <repo>:<branch slug>      the branch, sanitised to the tag grammar
//   <repo>:inputs-<hash>      G4 build avoidance: the input hash, found again by later runs
// A template with fixed tags (variants, e.g. `tags: [ubuntu]`, often several templates sharing
// one repository) gets the same tags prefixed by its first fixed tag (`ubuntu-test`,
// `ubuntu-<sha>`, `ubuntu-main`) so variants never overwrite each other, and promotion moves its
// fixed tags instead of `latest`. Fixed tags are never pushed by a build: they are what
// consumers pull, so only a tested image may move them (see promotionTags).
import { COMMIT, LATEST, branchTag, promotedTags, qualified, testTagOf } from '../graph/published.js';
import { DEFAULT_REGISTRY, parseReference } from '../systems/registry/reference.js';
import { UserError } from '../lib/errors.js';

export const INPUTS_TAG_PREFIX = 'inputs-';
export const INPUTS_LABEL = 'org.coder.build-image.inputs';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What a build knows about where it came from. */
export interface BuildOrigin {
  /** Full commit SHA of the template repo; absent outside git (no commit tag, no revision label). */
  commit?: string;
  /** Branch name (`main`, `refs/heads/feature/x`); absent on a detached HEAD. */
  branch?: string;
  /** Repository URL for org.opencontainers.image.source, e.g. https://github.com/acme/templates. */
  sourceUrl?: string;
  /** RFC 3339 time for org.opencontainers.image.created. */
  created: string;
}

interface Taggable {
  name: string;
  repository: string;
  tags: readonly string[];
}

function splitRegistry(registry: string): { host: string; path: string[] } {
  const trimmed = registry
    .trim()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/+$/, '');
  const [host = '', ...path] = trimmed.split('/');
  const looksLikeHost = host.includes('.') || host.includes(':') || host === 'localhost';
  if (!looksLikeHost || path.some((c) => !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(c))) {
    throw new UserError(`invalid registry '${registry}': expected a host with an optional lowercase path, e.g. ghcr.io/acme or 127.0.0.1:5000`);
  }
  return { host, path };
}

/**
 * The repository an image is pushed to. Without `registry`, the template's repository as
 * written. With `registry` (`host[/path]`), the template repository's path is placed under
 * it, dropping the part where the registry path already ends the way the repository path
 * begins: registry `ghcr.io/acme` keeps `ghcr.io/acme/dev` as is, and maps
 * `docker.io/acme/dev` to `ghcr.io/acme/dev`; registry `127.0.0.1:5000` maps
 * `ghcr.io/acme/dev` to `127.0.0.1:5000/acme/dev`.
 */
export function destinationRepository(templateRepository: string, registry?: string): string {
  const ref = parseReference(templateRepository);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new UserError(`image repository '${templateRepository}' must not carry a tag or digest`);
  }
  let path = ref.repository.split('/');
  if (ref.registry === DEFAULT_REGISTRY && path.length === 2 && path[0] === 'library') path = path.slice(1);
  if (registry === undefined || registry.trim() === '') {
    return ref.registry === DEFAULT_REGISTRY ? path.join('/') : `${ref.registry}/${path.join('/')}`;
  }
  const target = splitRegistry(registry);
  let overlap = Math.min(target.path.length, path.length);
  while (overlap > 0 && target.path.slice(-overlap).join('/') !== path.slice(0, overlap).join('/')) overlap--;
  return [target.host, ...target.path, ...path.slice(overlap)].join('/');
}

/** The host (and port) part of a repository such as `127.0.0.1:5000/acme/dev`. */
export function registryHost(repository: string): string {
  return parseReference(repository).registry;
}

/** A branch name as a tag: `refs/heads/feature/Login` -> `feature-Login`; undefined if nothing is left. */
export const branchSlug = branchTag;

// The tag rules are the graph's (src/graph/published.ts): what a build pushes is what a FROM may name.
/** The tag smoke tests run against and promotion starts from: `test`, or `<variant>-test`. */
export function testTag(image: Taggable): string {
  return testTagOf(image.tags);
}

/** The tags promotion moves once `testTag` passed: `latest`, or the template's fixed tags. */
export function promotionTags(image: Taggable): string[] {
  return promotedTags(image.tags);
}

/** The G4 tag for an input hash (`sha256:<hex>` or bare hex). */
export function inputsTag(inputHash: string): string {
  const hex = inputHash.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{16,64}$/.test(hex)) throw new Error(`not an input hash: ${inputHash}`);
  return `${INPUTS_TAG_PREFIX}${hex}`;
}

/** The tags a build pushes, in order: test, commit, branch, inputs. No duplicates. */
export function buildTags(image: Taggable, origin: Pick<BuildOrigin, 'commit' | 'branch'>, inputHash: string): string[] {
  if (origin.commit !== undefined && !COMMIT.test(origin.commit)) throw new UserError(`'${origin.commit}' is not a full commit SHA (40 hex digits)`);
  for (const tag of image.tags) {
    if (!TAG.test(tag)) throw new UserError(`image '${image.name}': '${tag}' is not a valid tag`);
  }
  const tags = [testTag(image)];
  if (origin.commit !== undefined) tags.push(qualified(image.tags, origin.commit));
  const slug = origin.branch !== undefined ? branchSlug(origin.branch) : undefined;
  // A branch named like a promoted tag would move it untested: leave that one out.
  if (slug !== undefined) {
    const branchTag = qualified(image.tags, slug);
    if (!promotionTags(image).includes(branchTag) && branchTag !== LATEST) tags.push(branchTag);
  }
  tags.push(inputsTag(inputHash));
  return [...new Set(tags)];
}

/** Full references to push: `<destination repository>:<tag>` for each build tag. */
export function destinations(image: Taggable, origin: Pick<BuildOrigin, 'commit' | 'branch'>, inputHash: string, registry?: string): string[] {
  const repository = destinationRepository(image.repository, registry);
  return buildTags(image, origin, inputHash).map((tag) => `${repository}:${tag}`);
}

/** Prefix of the labels recording each outside base as `reference@digest` (the nightly compares them). */
export const BASE_LABEL_PREFIX = 'org.coder.build-image.base.';
/** Prefix of the labels recording each template parent: `org.coder.build-image.parent.<template>=repository@digest`. */
export const PARENT_LABEL_PREFIX = 'org.coder.build-image.parent.';
/** Prefix of the labels recording each linked source repository (spec.sources) as `url#ref@commit`. */
export const SOURCE_LABEL_PREFIX = 'org.coder.build-image.source.';
/** With spec.source the OCI revision/source labels name that repository; these keep the template repository's. */
export const TEMPLATES_REVISION_LABEL = 'org.coder.build-image.templates.revision';
export const TEMPLATES_SOURCE_LABEL = 'org.coder.build-image.templates.source';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The label value for a linked source: `url#ref@commit` (ref empty for the default branch). */
export function sourceLabelValue(source: { url: string; ref?: string; commit: string }): string {
  return `${source.url}#${source.ref ?? ''}@${source.commit}`;
}

/** Reads `url#ref@commit` back; undefined when the value is not one. */
export function parseSourceLabel(value: string): { url: string; ref?: string; commit: string } | undefined {
  const m = /^(.*)#([^#@]*)@([0-9a-f]{40})$/.exec(value);
  if (!m) return undefined;
  return { url: m[1]!, ...(m[2] ? { ref: m[2] } : {}), commit: m[3]! };
}

/** Reads `reference@sha256:...` back; undefined when the value is not one. */
export function parseBaseLabel(value: string): { reference: string; digest: string } | undefined {
  const at = value.lastIndexOf('@');
  const digest = value.slice(at + 1);
  return at > 0 && DIGEST.test(digest) ? { reference: value.slice(0, at), digest } : undefined;
}

/** What an image is built on, as the scheduler resolved it for this build. */
export interface BuiltOn {
  /** Outside base reference (and template parent name) -> digest; an unresolved base maps to itself. */
  bases?: Readonly<Record<string, string>>;
  /** Template parent name -> `repository@digest` it was built against. */
  parents?: Readonly<Record<string, string>>;
}

interface Labelled {
  name: string;
  externalBases?: readonly string[];
  source?: { url: string; commit: string };
  sources?: readonly { url: string; ref?: string; commit: string }[];
}

/**
 * OCI annotations as image labels, the input hash for G4, and what the image was built on:
 * outside bases by digest, template parents, linked source commits (the nightly reads these
 * back to see what moved since).
 */
export function imageLabels(image: Labelled, origin: BuildOrigin, inputHash: string, builtOn: BuiltOn = {}): Record<string, string> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': image.name,
    'org.opencontainers.image.created': origin.created,
    [INPUTS_LABEL]: inputHash,
  };
  if (image.source) {
    labels['org.opencontainers.image.revision'] = image.source.commit;
    labels['org.opencontainers.image.source'] = image.source.url;
    if (origin.commit) labels[TEMPLATES_REVISION_LABEL] = origin.commit;
    if (origin.sourceUrl) labels[TEMPLATES_SOURCE_LABEL] = origin.sourceUrl;
  } else {
    if (origin.commit) labels['org.opencontainers.image.revision'] = origin.commit;
    if (origin.sourceUrl) labels['org.opencontainers.image.source'] = origin.sourceUrl;
  }
  let n = 0;
  for (const reference of [...(image.externalBases ?? [])].sort()) {
    const digest = builtOn.bases?.[reference];
    if (digest !== undefined && DIGEST.test(digest)) labels[`${BASE_LABEL_PREFIX}${n++}`] = `${reference.replace(/@sha256:[0-9a-f]{64}$/, '')}@${digest}`;
  }
  for (const [parent, reference] of Object.entries(builtOn.parents ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) labels[`${PARENT_LABEL_PREFIX}${parent}`] = reference;
  (image.sources ?? []).forEach((source, i) => (labels[`${SOURCE_LABEL_PREFIX}${i}`] = sourceLabelValue(source)));
  return labels;
}
