// Media types and the manifest shapes the registry client understands (OCI image spec and
// Docker image manifest v2 schema 2). Pure data, no I/O.
import { UserError } from '../../lib/errors.js';

export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** Every manifest kind, in the Accept header of manifest requests. */
export const MANIFEST_MEDIA_TYPES = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest] as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** A manifest as the registry stores it: its exact bytes are what the digest covers. */
export interface ManifestBytes {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** The parts of an image config this project reads. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: {
    User?: string;
    Env?: string[];
    Labels?: Record<string, string> | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
  };
  rootfs?: { type: string; diff_ids: string[] };
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

/** Parses manifest bytes and says whether it is an index or an image manifest. */
export function parseManifest(manifest: ManifestBytes): { kind: 'index'; index: ImageIndex } | { kind: 'image'; image: ImageManifest } {
  let value: unknown;
  try {
    value = JSON.parse(manifest.bytes.toString('utf8'));
  } catch {
    throw new UserError(`manifest ${manifest.digest} is not valid JSON`);
  }
  const body = value as Partial<ImageManifest & ImageIndex>;
  const mediaType = manifest.mediaType || body.mediaType || '';
  if (isIndexMediaType(mediaType) || (!mediaType && Array.isArray(body.manifests))) {
    if (!Array.isArray(body.manifests)) throw new UserError(`manifest list ${manifest.digest} has no 'manifests'`);
    return { kind: 'index', index: body as ImageIndex };
  }
  if (isImageManifestMediaType(mediaType) || (!mediaType && body.config)) {
    if (!body.config || !Array.isArray(body.layers)) throw new UserError(`manifest ${manifest.digest} has no config or layers`);
    return { kind: 'image', image: body as ImageManifest };
  }
  throw new UserError(`manifest ${manifest.digest} has an unsupported media type '${mediaType}' (schema 1 manifests are not supported)`);
}
