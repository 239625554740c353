// Small real images for registry tests, made in memory: gzip'd tar layers, an OCI config and
// a Docker schema 2 manifest, pushed with the project's own client.
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { RegistryClient, sha256, type RepositoryName } from '../../src/systems/registry/client.js';
import { MediaType } from '../../src/systems/registry/types.js';

export interface LayerFile {
  name: string;
  content?: string;
  /** 'file' (default), 'dir' or 'symlink' (then `target`). */
  type?: 'file' | 'directory' | 'symlink';
  target?: string;
  mode?: number;
}

export async function tarLayer(files: LayerFile[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const f of files) {
    const type = f.type ?? 'file';
    if (type === 'symlink') p.entry({ name: f.name, type: 'symlink', linkname: f.target });
    else if (type === 'directory') p.entry({ name: f.name, type: 'directory', mode: f.mode ?? 0o755 });
    else p.entry({ name: f.name, mode: f.mode ?? 0o644 }, f.content ?? '');
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface PushedImage {
  digest: string;
  manifest: Buffer;
  config: Buffer;
  layers: Buffer[];
}

/** Pushes an image whose layers are the given file lists (gzip'd), returns its manifest digest. */
export async function pushTestImage(client: RegistryClient, repo: RepositoryName, tag: string, layerFiles: LayerFile[][], config: { User?: string; Labels?: Record<string, string>; Env?: string[] } = {}): Promise<PushedImage> {
  const tars = await Promise.all(layerFiles.map((files) => tarLayer(files)));
  const layers = tars.map((t) => gzipSync(t));
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], ...config },
      rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) },
    }),
  );
  for (const layer of layers) await client.pushBlobBytes(repo, layer);
  await client.pushBlobBytes(repo, configBytes);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: sha256(configBytes), size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: MediaType.dockerLayerGzip, digest: sha256(l), size: l.length })),
    }),
  );
  const digest = await client.putManifest(repo, tag, { bytes: manifest, mediaType: MediaType.dockerManifest });
  return { digest, manifest, config: configBytes, layers };
}
