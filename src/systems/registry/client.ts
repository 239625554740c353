// The registry client: the OCI distribution API (manifests and tags here; blobs in blobs.ts;
// HTTP, auth and retries in http.ts). Everything in this project that talks to a registry goes
// through this class, made by setup.ts.
import { repositoryScope } from './auth.js';
import { RegistryBlobs } from './blobs.js';
import { DIGEST_HEADER, RegistryError, formatRepository, header, sha256, type RepositoryName } from './http.js';
import { discardBody, readBody } from './transport.js';
import { MANIFEST_MEDIA_TYPES, parseManifest, type ImageConfig, type ImageManifest, type ManifestBytes } from './types.js';
import { UserError } from '../../lib/errors.js';
import { parseReference } from './reference.js';

export { RegistryError, formatRepository, sha256, type RepositoryName } from './http.js';
export { type UploadResult } from './blobs.js';

export class RegistryClient extends RegistryBlobs {
  /** Checks the registry answers the API at all (and that auth works, if it asks for it). */
  async ping(registry: string): Promise<void> {
    const res = await this.request({ registry, method: 'GET', path: '/v2/', scopes: [], expect: [200], what: `ping ${registry}` });
    await discardBody(res);
  }

  // ---- manifests ----

  /** The manifest at a tag or digest, with its exact bytes; undefined when absent (404). */
  async getManifest(repo: RepositoryName, reference: string): Promise<ManifestBytes | undefined> {
    const what = `get manifest ${formatRepository(repo)}${reference.includes(':') ? '@' : ':'}${reference}`;
    const res = await this.request({
      registry: repo.registry,
      method: 'GET',
      path: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') },
      scopes: [repositoryScope(repo.repository, ['pull'])],
      expect: [200, 404],
      what,
    });
    if (res.status === 404) {
      await discardBody(res);
      return undefined;
    }
    const bytes = await readBody(res, 8 * 1024 * 1024);
    const digest = sha256(bytes);
    const expected = reference.startsWith('sha256:') ? reference : header(res, DIGEST_HEADER);
    if (expected && expected.startsWith('sha256:') && expected !== digest) {
      throw new RegistryError(`${what}: digest mismatch: expected ${expected}, the bytes hash to ${digest}`, res.status, 'DIGEST_INVALID');
    }
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim() || mediaTypeOf(bytes);
    return { digest, mediaType, bytes };
  }

  /** Like getManifest but a missing manifest is an error. */
  async requireManifest(repo: RepositoryName, reference: string): Promise<ManifestBytes> {
    const m = await this.getManifest(repo, reference);
    if (!m) throw new RegistryError(`${formatRepository(repo)}${reference.includes(':') ? '@' : ':'}${reference}: manifest not found`, 404, 'MANIFEST_UNKNOWN');
    return m;
  }

  /**
   * The image manifest of `top` for a platform (`os/arch`; default this machine's, linux): `top`
   * itself when it is an image, else its index entry for that platform, else one for the same
   * OS, else the first (attestation entries, os `unknown`, never).
   */
  async imageFor(repo: RepositoryName, top: ManifestBytes, platform?: string): Promise<{ image: ImageManifest; platform?: string }> {
    const parsed = parseManifest(top);
    if (parsed.kind === 'image') return { image: parsed.image };
    const [os, arch] = (platform ?? `linux/${goArch()}`).split('/');
    const candidates = parsed.index.manifests.filter((m) => m.platform?.os !== 'unknown');
    const chosen = candidates.find((m) => m.platform?.os === os && m.platform?.architecture === arch) ?? candidates.find((m) => m.platform?.os === os) ?? candidates[0];
    if (!chosen) throw new UserError(`${formatRepository(repo)}@${top.digest} is an empty index`);
    const child = parseManifest(await this.requireManifest(repo, chosen.digest));
    if (child.kind !== 'image') throw new UserError(`${formatRepository(repo)}@${chosen.digest}: nested indexes are not supported`);
    return { image: child.image, ...(chosen.platform ? { platform: `${chosen.platform.os}/${chosen.platform.architecture}` } : {}) };
  }

  /** The config of an image manifest (its config blob, digest checked). */
  async imageConfig(repo: RepositoryName, image: ImageManifest): Promise<ImageConfig> {
    return JSON.parse((await this.getBlobBytes(repo, image.config.digest)).toString('utf8')) as ImageConfig;
  }

  /**
   * The labels of the image at `reference` (a tag or digest) and its manifest digest; undefined
   * when nothing is there. For an index, the first image's: every platform of one build carries
   * the same labels.
   */
  async imageLabels(repo: RepositoryName, reference: string): Promise<{ digest: string; labels: Record<string, string> } | undefined> {
    const manifest = await this.getManifest(repo, reference);
    if (!manifest) return undefined;
    let parsed = parseManifest(manifest);
    if (parsed.kind === 'index') {
      const first = parsed.index.manifests[0];
      const child = first && (await this.getManifest(repo, first.digest));
      if (!child) return { digest: manifest.digest, labels: {} };
      parsed = parseManifest(child);
    }
    if (parsed.kind !== 'image') return { digest: manifest.digest, labels: {} };
    const config = await this.imageConfig(repo, parsed.image);
    return { digest: manifest.digest, labels: config.config?.Labels ?? {} };
  }

  /**
   * The digest an image reference names now: the one it pins (`repo@sha256:…`), else what its
   * tag (`latest` when it has none) points at; undefined when that tag does not exist.
   */
  async currentDigest(reference: string): Promise<string | undefined> {
    const ref = parseReference(reference);
    if (ref.digest) return ref.digest;
    return (await this.headManifest({ registry: ref.registry, repository: ref.repository }, ref.tag ?? 'latest'))?.digest;
  }

  /** Digest and media type of the manifest at a tag or digest, without its body; undefined when absent. */
  async headManifest(repo: RepositoryName, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const res = await this.request({
      registry: repo.registry,
      method: 'HEAD',
      path: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { Accept: MANIFEST_MEDIA_TYPES.join(', ') },
      scopes: [repositoryScope(repo.repository, ['pull'])],
      expect: [200, 404],
      what: `head manifest ${formatRepository(repo)}:${reference}`,
    });
    await discardBody(res);
    if (res.status === 404) return undefined;
    const digest = header(res, DIGEST_HEADER);
    if (!digest) {
      const full = await this.getManifest(repo, reference);
      return full && { digest: full.digest, mediaType: full.mediaType, size: full.bytes.length };
    }
    return { digest, mediaType: (header(res, 'content-type') ?? '').split(';')[0]!.trim(), size: Number(header(res, 'content-length') ?? 0) };
  }

  /** Stores manifest bytes unchanged under a tag or digest and returns their digest. */
  async putManifest(repo: RepositoryName, reference: string, manifest: { bytes: Buffer; mediaType: string }): Promise<string> {
    const what = `put manifest ${formatRepository(repo)}${reference.includes(':') ? '@' : ':'}${reference}`;
    const res = await this.request({
      registry: repo.registry,
      method: 'PUT',
      path: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
      scopes: [repositoryScope(repo.repository, ['pull', 'push'])],
      expect: [201, 200],
      what,
    });
    await discardBody(res);
    const digest = sha256(manifest.bytes);
    const returned = header(res, DIGEST_HEADER);
    if (returned && returned !== digest) throw new RegistryError(`${what}: the registry stored digest ${returned}, expected ${digest}`, res.status);
    return digest;
  }

  /** Deletes a manifest by digest, or a tag where the registry supports it. */
  async deleteManifest(repo: RepositoryName, reference: string): Promise<void> {
    const res = await this.request({
      registry: repo.registry,
      method: 'DELETE',
      path: `/v2/${repo.repository}/manifests/${reference}`,
      scopes: [repositoryScope(repo.repository, ['delete'])],
      expect: [202, 200],
      what: `delete manifest ${formatRepository(repo)}:${reference}`,
    });
    await discardBody(res);
  }

  // ---- tags ----

  /** Every tag of a repository, following `Link: <...>; rel="next"` pages. */
  async listTags(repo: RepositoryName, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo.repository}/tags/list?n=${pageSize}`;
    while (path) {
      const res = await this.request({
        registry: repo.registry,
        method: 'GET',
        path,
        scopes: [repositoryScope(repo.repository, ['pull'])],
        expect: [200, 404],
        what: `list tags of ${formatRepository(repo)}`,
      });
      if (res.status === 404) {
        await discardBody(res);
        return tags;
      }
      const body = JSON.parse((await readBody(res, 16 * 1024 * 1024)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      path = nextLink(header(res, 'link'));
    }
    return tags;
  }
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /<([^>]+)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel="?next"?/.test(m[2]!)) return m[1];
  }
  return undefined;
}

/** The media type a manifest declares in its body, for registries that do not send Content-Type. */
function mediaTypeOf(bytes: Buffer): string {
  try {
    const body = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown; config?: unknown };
    if (body.mediaType) return body.mediaType;
    return body.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return 'application/octet-stream';
  }
}

/** This machine's architecture as OCI platforms name it (x64 is amd64). */
function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}
