// Which image an environment's container names: a template of this repository or of
// `github: owner/repo` at `tag` (a branch, tag or commit of that repository), found in the
// registry under the tags the build pipeline pushes (src/pipeline/tags.ts), or a plain image
// reference. The tag candidates are pure; the lookups go through the registry client.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryClient } from '../systems/registry/client.js';
import type { ImageConfig } from '../systems/registry/types.js';
import { formatReference, parseReference, withDefaultTag, parseRepository } from '../systems/registry/reference.js';
import { fetchRepository, resolveCommit } from '../systems/git/index.js';
import { branchSlug, destinationRepository, promotionTags } from '../pipeline/tags.js';
import { loadTemplates } from '../templates/load.js';
import type { ImageTemplate, TemplateRepo } from '../templates/types.js';
import { closest } from '../lib/suggest.js';
import { UserError } from '../lib/errors.js';

const COMMIT = /^[0-9a-f]{40}$/;

/**
 * The tags under which the pipeline pushed a template's image for `ref`, best first: the ref
 * itself when it is a promoted tag (`latest`, a variant), the branch tag, the commit tag. A
 * variant template (fixed tags) prefixes generated tags with its first fixed tag.
 */
export function candidateTags(template: Pick<ImageTemplate, 'spec'>, ref: string | undefined, commit?: string): string[] {
  const fixed = template.spec.tags;
  const prefix = fixed.length > 0 ? `${fixed[0]}-` : '';
  const promoted = promotionTags({ name: '', repository: template.spec.image, tags: fixed });
  if (ref === undefined) return promoted.slice(0, 1);
  const tags: string[] = [];
  if (promoted.includes(ref)) tags.push(ref);
  if (COMMIT.test(ref)) tags.push(`${prefix}${ref}`);
  else {
    const slug = branchSlug(ref);
    if (slug) tags.push(`${prefix}${slug}`);
  }
  if (commit && COMMIT.test(commit)) tags.push(`${prefix}${commit}`);
  return [...new Set(tags.map((t) => t.slice(0, 128).replace(/[.-]+$/, '')))];
}

export interface ResolvedImage {
  /** `host/path` of the repository. */
  repository: string;
  /** The tag it was found under (or as written). */
  tag?: string;
  digest: string;
  /** `repository@digest`. */
  pinned: string;
  /** The image config's user ('' for root). */
  user: string;
  /** For messages: `team-dev (acme/templates@main)`. */
  describe: string;
}

export interface TemplateSource {
  /** Root of the repository holding the template. */
  repo: TemplateRepo;
  /** The commit of that repository, when known. */
  commit?: string;
  /** Removes a fetched checkout. */
  dispose(): Promise<void>;
}

/** Loads the templates of `github: owner/repo` at `ref` from a git server (actions/checkout's github-server-url). */
export async function fetchTemplateRepo(repository: string, ref: string | undefined, options: { serverUrl: string; token?: string }): Promise<TemplateSource> {
  const dir = await mkdtemp(join(tmpdir(), 'build-image-templates-'));
  try {
    const { commit } = await fetchRepository({ serverUrl: options.serverUrl, repository, ref, dir, ...(options.token ? { token: options.token } : {}) });
    const { repo, problems } = loadTemplates(dir);
    const fatal = problems.filter((p) => p.file.startsWith('.coder/images'));
    if (fatal.length > 0) throw new UserError(`${repository}${ref ? `@${ref}` : ''}: its image templates have problems: ${fatal.map((p) => `${p.file}:${p.line}: ${p.message}`).join('; ')}`);
    return { repo, commit, dispose: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The local repository as a template source: `ref` names a commit of it only if git knows it. */
export async function localTemplateRepo(repo: TemplateRepo, ref: string | undefined): Promise<TemplateSource> {
  const commit = ref ? await resolveCommit(repo.root, ref) : undefined;
  return { repo, ...(commit ? { commit } : {}), dispose: async () => undefined };
}

/** The image config of a manifest (this platform's entry of an index). */
async function configOf(client: RegistryClient, repository: string, digest: string): Promise<ImageConfig> {
  const repo = parseRepository(repository);
  const { image } = await client.imageFor(repo, await client.requireManifest(repo, digest));
  return client.imageConfig(repo, image);
}

/** Looks up `repository:tag` (first tag that exists) and reads its digest and user. */
export async function lookupImage(client: RegistryClient, repository: string, tags: readonly string[], describe: string): Promise<ResolvedImage> {
  const repo = parseRepository(repository);
  for (const tag of tags) {
    const head = await client.headManifest(repo, tag);
    if (!head) continue;
    const config = await configOf(client, repository, head.digest);
    return { repository, tag, digest: head.digest, pinned: `${repository}@${head.digest}`, user: config.config?.User ?? '', describe };
  }
  throw new UserError(`${describe}: no image in ${repository} under ${tags.length === 1 ? `tag ${tags[0]}` : `any of the tags ${tags.join(', ')}`}; build it first (build-image build), or point 'tag' at a branch or commit that was built`);
}

/** A plain image reference (`postgres:16`, `host/repo@sha256:...`) to its digest and user. */
export async function lookupReference(client: RegistryClient, reference: string): Promise<ResolvedImage> {
  const ref = withDefaultTag(parseReference(reference));
  const repository = formatReference({ registry: ref.registry, repository: ref.repository });
  if (ref.digest) {
    const config = await configOf(client, repository, ref.digest);
    return { repository, digest: ref.digest, pinned: `${repository}@${ref.digest}`, user: config.config?.User ?? '', describe: reference };
  }
  return lookupImage(client, repository, [ref.tag!], reference);
}

/** Finds an image template by name, or says which names exist. */
export function findTemplate(repo: TemplateRepo, name: string, where: string): ImageTemplate {
  const template = repo.images.find((t) => t.name === name);
  if (template) return template;
  const near = closest(
    name,
    repo.images.map((t) => t.name),
  );
  throw new UserError(`${where} has no image template '${name}'${near ? ` (did you mean '${near}'?)` : ''}`);
}

/** Resolves a template to the image the pipeline pushed for `ref`. */
export async function resolveTemplateImage(client: RegistryClient, source: TemplateSource, name: string, ref: string | undefined, options: { registry?: string; where: string }): Promise<ResolvedImage> {
  const template = findTemplate(source.repo, name, options.where);
  const repository = destinationRepository(template.spec.image, options.registry);
  const commit = ref === undefined ? undefined : source.commit;
  const describe = `image template '${name}'${ref ? ` at ${ref}` : ''}`;
  return lookupImage(client, repository, candidateTags(template, ref, commit), describe);
}
