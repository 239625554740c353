// W2: `build-image build NAME --preview`. Builds one image from the working tree as it is
// (uncommitted edits included) and pushes it as `<repository>:preview-<content hash>`; when
// that tag exists already, the same content was built before and nothing is built. Parents
// are the digests their `test` tags point at now; nothing else is tagged or moved.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createPlan } from '../plan/index.js';
import { pinParents } from '../dockerfile/pin.js';
import type { Builder } from '../builders/types.js';
import { PREVIEW_MTIME, previewHash, previewTag } from '../context/preview.js';
import { SourceContexts } from '../context/source.js';
import { destinationRepository, testTag } from './tags.js';
import { createRegistryClient } from '../systems/registry/setup.js';
import { parseRepository } from '../systems/registry/reference.js';
import type { CredentialSources } from '../systems/registry/credentials.js';
import { UserError } from '../lib/errors.js';

export const PREVIEW_LABEL = 'org.coder.build-image.preview';

export interface PreviewOptions {
  dir: string;
  name: string;
  builder: Builder;
  registry?: string;
  insecureRegistries?: readonly string[];
  credentials?: CredentialSources;
  buildArgs?: Readonly<Record<string, string>>;
  conventionRegistry?: string;
  created: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  log(line: string): void;
}

export interface PreviewResult {
  name: string;
  /** `repository:preview-<hash>@digest`. */
  reference: string;
  tag: string;
  digest: string;
  hash: string;
  /** False when the tag existed and was reused. */
  built: boolean;
}

export async function runPreview(options: PreviewOptions): Promise<PreviewResult> {
  const plan = await createPlan(options.dir, {
    names: [options.name],
    ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
    ...((options.conventionRegistry ?? options.registry) ? { conventionRegistry: options.conventionRegistry ?? options.registry } : {}),
    ...(options.credentials?.named ? { credentialNames: options.credentials.named.map((c) => c.name) } : {}),
  });
  const image = plan.images[options.name]!;
  const client = createRegistryClient({ insecure: [...(options.insecureRegistries ?? [])], ...options.credentials });
  const repository = destinationRepository(image.repository, options.registry);

  // Parents as their children would be built on them now: the digest of their test tag.
  const parentRefs: Record<string, string> = {};
  for (const parent of image.parents) {
    const planned = plan.images[parent]!;
    const parentRepository = destinationRepository(planned.repository, options.registry);
    const head = await client.headManifest(parseRepository(parentRepository), testTag(planned));
    if (!head) {
      throw new UserError(`${options.name} builds on ${parent}, which has no image at ${parentRepository}:${testTag(planned)}; build it first (build-image build ${parent})`);
    }
    parentRefs[parent] = `${parentRepository}@${head.digest}`;
  }
  const bases: Record<string, string> = {};
  for (const reference of image.externalBases) bases[reference] = (await client.currentDigest(reference)) ?? reference;
  const pinned = pinParents(await readFile(join(plan.root, image.dockerfile), 'utf8'), image.from, image.buildArgs, parentRefs);

  const sources = new SourceContexts();
  try {
    const contextDir = image.source ? await sources.dir(image.source, options.signal) : resolve(plan.root, image.context);
    const hash = await previewHash(contextDir, pinned.dockerfile, { repository, buildArgs: pinned.buildArgs, bases });
    const tag = previewTag(hash);
    const existing = await client.headManifest(parseRepository(repository), tag);
    if (existing) {
      options.log(`${repository}:${tag} exists: this content was built before; nothing to build`);
      return { name: options.name, reference: `${repository}:${tag}@${existing.digest}`, tag, digest: existing.digest, hash, built: false };
    }
    const { digest } = await options.builder.build({
      name: options.name,
      contextDir,
      // kaniko streams the context with the preview archive's fixed mtimes: the same entries, byte for byte.
      contextMtime: PREVIEW_MTIME,
      dockerfile: pinned.dockerfile,
      destinations: [`${repository}:${tag}`],
      buildArgs: pinned.buildArgs,
      labels: { 'org.opencontainers.image.title': options.name, 'org.opencontainers.image.created': options.created, [PREVIEW_LABEL]: hash },
      insecureRegistries: [...(options.insecureRegistries ?? [])],
      ...(image.credentials !== undefined ? { credentials: image.credentials } : {}),
      ...(image.resources !== undefined ? { resources: image.resources } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      log: options.log,
    });
    return { name: options.name, reference: `${repository}:${tag}@${digest}`, tag, digest, hash, built: true };
  } finally {
    await sources.removeAll();
  }
}
