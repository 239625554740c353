// Making an image (a manifest and everything it references) present in another repository:
// nothing to do in the same repository, blob mounts within one registry, a streamed copy
// across registries. Tags are not touched here: callers put the manifest under a tag.
import { UserError } from '../../lib/errors.js';
import { mapLimit } from '../../lib/concurrency.js';
import { formatRepository, type RegistryClient, type RepositoryName, type UploadResult } from './client.js';
import { parseManifest, type Descriptor, type ManifestBytes } from './types.js';

export type CopyMethod = 'none' | 'mount' | 'copy';

export function sameRepository(a: RepositoryName, b: RepositoryName): boolean {
  return a.registry === b.registry && a.repository === b.repository;
}

export function copyMethod(from: RepositoryName, to: RepositoryName): CopyMethod {
  if (sameRepository(from, to)) return 'none';
  return from.registry === to.registry ? 'mount' : 'copy';
}

/** Foreign (non-distributable) layers live elsewhere and are not copied, like docker does. */
function isForeign(d: Descriptor): boolean {
  return /foreign|nondistributable/.test(d.mediaType) || (d.urls?.length ?? 0) > 0;
}

/**
 * Copies the blobs and child manifests of `manifest` from one repository to another so that
 * `manifest` can then be put there (its bytes unchanged). Returns what each blob needed.
 */
export async function copyImageContent(client: RegistryClient, manifest: ManifestBytes, from: RepositoryName, to: RepositoryName, concurrency = 4): Promise<Record<UploadResult, number>> {
  const counts: Record<UploadResult, number> = { exists: 0, mounted: 0, uploaded: 0 };
  if (sameRepository(from, to)) return counts;
  const parsed = parseManifest(manifest);
  if (parsed.kind === 'index') {
    for (const child of parsed.index.manifests) {
      const childManifest = await client.getManifest(from, child.digest);
      if (!childManifest) throw new UserError(`${formatRepository(from)}: the index ${manifest.digest} lists ${child.digest}, which the registry does not have`);
      const sub = await copyImageContent(client, childManifest, from, to, concurrency);
      counts.exists += sub.exists;
      counts.mounted += sub.mounted;
      counts.uploaded += sub.uploaded;
      await client.putManifest(to, child.digest, childManifest);
    }
    return counts;
  }
  const blobs = [parsed.image.config, ...parsed.image.layers].filter((d) => !isForeign(d));
  const mountFrom = from.registry === to.registry ? from.repository : undefined;
  await mapLimit(blobs, concurrency, async (blob) => {
    const result = await client.pushBlob(to, { digest: blob.digest, size: blob.size }, () => client.getBlob(from, blob.digest), { mountFrom });
    counts[result]++;
  });
  return counts;
}
