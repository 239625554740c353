// Archive push (P4): an image built elsewhere, as a docker-archive (what `docker save` and
// Nix's dockerTools make: manifest.json + config + layer tars, the whole file maybe gzip'd,
// layers maybe gzip'd) or an OCI image layout (a directory, or a tar of one), pushed to a
// registry. Layers are streamed, never held whole in memory: a tar is read twice, once to
// digest every entry and once to upload what the registry does not already have.
//
// Uncompressed docker-archive layers are pushed as they are, with the OCI media type
// `application/vnd.oci.image.layer.v1.tar`: their digest is then their diff ID, known from the
// first pass, so blobs already in the registry are skipped before any upload; nothing is
// recompressed (no CPU cost, and the same archive always yields the same manifest digest).
// gzip'd layers keep `...tar+gzip`. The manifest written is an OCI image manifest.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { UserError, describeError } from '../lib/errors.js';
import { formatRepository, sha256, type RegistryClient, type RepositoryName, type UploadResult } from '../systems/registry/client.js';
import { mapLimit } from '../lib/concurrency.js';
import { MediaType, isIndexMediaType, parseManifest, type Descriptor, type ImageConfig } from '../systems/registry/types.js';
import { TarReader, type TarEntrySink, type TarHeader } from './tar.js';

export interface ArchiveTarget extends RepositoryName {
  tag: string;
}

export interface ArchivePushResult {
  digest: string;
  mediaType: string;
  format: 'docker-archive' | 'oci-layout';
  blobs: Record<UploadResult, number>;
}

interface EntryInfo {
  size: number;
  digest: string;
  gzip: boolean;
}

/** Where the archive's files come from: a tar file (two passes) or a directory. */
interface ArchiveSource {
  describe(path: string): Promise<EntryInfo | undefined>;
  readSmall(path: string): Promise<Buffer>;
  /** Streams the entries at `paths`, in archive order, one at a time. */
  streamEach(paths: ReadonlySet<string>, fn: (path: string, stream: Readable) => Promise<void>): Promise<void>;
  open(path: string): Promise<Readable>;
}

const SMALL_LIMIT = 4 * 1024 * 1024;

function normalizeEntryPath(name: string): string {
  return posix.normalize(name.replace(/^\.?\/+/, '')).replace(/\/$/, '');
}

async function isGzipFile(path: string): Promise<boolean> {
  const handle = await fs.open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** A tar file (maybe gzip'd). The first pass digests every entry and keeps small JSON files. */
async function tarSource(file: string): Promise<ArchiveSource> {
  const gzipped = await isGzipFile(file);
  const entries = new Map<string, EntryInfo>();
  const links = new Map<string, string>();
  const small = new Map<string, Buffer>();

  /**
   * One pass over the archive. `visit` says where each entry's data goes; it may add to `waits`
   * what the reading must wait for before the next chunk (a slow consumer, an upload).
   */
  const walk = async (visit: (path: string, header: TarHeader, waits: Promise<unknown>[]) => TarEntrySink | undefined): Promise<void> => {
    const waits: Promise<unknown>[] = [];
    const reader = new TarReader((header) => visit(normalizeEntryPath(header.name), header, waits));
    const read = async (source: AsyncIterable<Buffer>): Promise<void> => {
      for await (const chunk of source) {
        reader.write(chunk);
        while (waits.length) await waits.shift();
      }
      reader.end();
      while (waits.length) await waits.shift();
    };
    try {
      // node:zlib loads only for a gzip'd archive.
      await (gzipped ? pipeline(createReadStream(file), process.getBuiltinModule('node:zlib').createGunzip(), read) : pipeline(createReadStream(file), read));
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`${file}: not a readable tar${gzipped ? '.gz' : ''} archive (${describeError(err)})`);
    }
  };

  await walk((path, header) => {
    if (header.type === 'symlink' || header.type === 'link') {
      const target = header.type === 'symlink' ? posix.join(posix.dirname(path), header.linkname ?? '') : normalizeEntryPath(header.linkname ?? '');
      links.set(path, normalizeEntryPath(target));
      return undefined;
    }
    if (header.type !== 'file') return undefined;
    const hash = createHash('sha256');
    let size = 0;
    let head: Buffer | undefined;
    // Small JSON files (manifest.json, configs, OCI manifests and indexes) are kept; layers are only hashed.
    let keep: Buffer[] | undefined;
    return {
      data: (chunk) => {
        if (!head) {
          head = Buffer.from(chunk.subarray(0, 2));
          if (header.size <= SMALL_LIMIT && (chunk[0] === 0x7b /* { */ || chunk[0] === 0x5b /* [ */ || path.endsWith('oci-layout'))) keep = [];
        }
        hash.update(chunk);
        size += chunk.length;
        keep?.push(Buffer.from(chunk));
      },
      end: () => {
        entries.set(path, { size, digest: `sha256:${hash.digest('hex')}`, gzip: head?.[0] === 0x1f && head[1] === 0x8b });
        if (keep) small.set(path, Buffer.concat(keep));
      },
    };
  });

  const resolve = (path: string): string => {
    let p = normalizeEntryPath(path);
    for (let i = 0; i < 16 && links.has(p); i++) p = links.get(p)!;
    return p;
  };

  return {
    describe: async (path) => entries.get(resolve(path)),
    readSmall: async (path) => {
      const content = small.get(resolve(path));
      if (!content) throw new UserError(`${file}: ${path} is missing from the archive (or is not a small JSON file)`);
      return content;
    },
    streamEach: async (paths, fn) => {
      const wanted = new Set([...paths].map(resolve));
      const done = new Set<string>();
      const pushes: Promise<void>[] = [];
      await walk((path, header, waits) => {
        if (!wanted.has(path) || done.has(path) || header.type !== 'file') return undefined;
        done.add(path);
        const out = new PassThrough();
        // When the consumer is done (or gave up on this stream to read the entry afresh), the
        // rest of the entry is dropped rather than buffered.
        const pushing = fn(path, out).finally(() => out.destroy());
        pushing.catch(() => undefined);
        pushes.push(pushing);
        return forwardTo(out, waits, pushing);
      });
      await Promise.all(pushes);
    },
    open: async (path) => {
      // a fresh pass to one entry: used only when an upload has to start again
      const target = resolve(path);
      const out = new PassThrough();
      walk((p, header, waits) => (p === target && header.type === 'file' ? forwardTo(out, waits) : undefined)).catch((err) => out.destroy(err));
      return out;
    },
  };
}

/**
 * A sink writing an entry's data into `out`, holding the reading while `out` is full (until it
 * drains, closes, or `settled` settles); `out` ends with the entry.
 */
function forwardTo(out: PassThrough, waits: Promise<unknown>[], settled?: Promise<unknown>): TarEntrySink {
  const closed = once(out, 'close');
  closed.catch(() => undefined);
  return {
    data: (chunk) => {
      if (out.destroyed || out.writableEnded) return;
      if (!out.write(chunk)) {
        const wait = Promise.race([once(out, 'drain'), closed, ...(settled ? [settled] : [])]);
        wait.catch(() => undefined);
        waits.push(wait);
      }
    },
    end: () => {
      if (!out.destroyed) out.end();
    },
  };
}

/** A directory: an extracted docker-archive or an OCI layout. */
function directorySource(dir: string): ArchiveSource {
  const full = (path: string) => join(dir, ...normalizeEntryPath(path).split('/'));
  const cache = new Map<string, Promise<EntryInfo | undefined>>();
  return {
    describe: (path) => {
      let info = cache.get(path);
      if (!info) {
        info = (async () => {
          if (!existsSync(full(path))) return undefined;
          const hash = createHash('sha256');
          let size = 0;
          let head: Buffer | undefined;
          for await (const chunk of createReadStream(full(path))) {
            const buf = chunk as Buffer;
            head ??= buf.subarray(0, 2);
            hash.update(buf);
            size += buf.length;
          }
          return { size, digest: `sha256:${hash.digest('hex')}`, gzip: head?.[0] === 0x1f && head[1] === 0x8b };
        })();
        cache.set(path, info);
      }
      return info;
    },
    readSmall: async (path) => {
      try {
        return await fs.readFile(full(path));
      } catch {
        throw new UserError(`${dir}: ${path} is missing`);
      }
    },
    streamEach: async (paths, fn) => {
      for (const path of paths) await fn(path, createReadStream(full(path)));
    },
    open: async (path) => createReadStream(full(path)),
  };
}

interface Plan {
  format: ArchivePushResult['format'];
  /** Blobs to make present, with the archive path holding each. */
  blobs: { descriptor: Descriptor; path: string }[];
  /** Manifests to put by digest (children of an index), then the top one under the tag. */
  children: { bytes: Buffer; mediaType: string }[];
  top: { bytes: Buffer; mediaType: string };
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new UserError(`${what} is not valid JSON`);
  }
}

async function planDockerArchive(source: ArchiveSource, name: string, tag: string): Promise<Plan> {
  type Entry = { Config: string; RepoTags?: string[] | null; Layers: string[] };
  const list = parseJson<Entry[]>(await source.readSmall('manifest.json'), `${name}: manifest.json`);
  if (!Array.isArray(list) || list.length === 0) throw new UserError(`${name}: manifest.json lists no image`);
  const entry = list.length === 1 ? list[0]! : list.find((e) => (e.RepoTags ?? []).some((t) => t.endsWith(`:${tag}`)));
  if (!entry) throw new UserError(`${name}: the archive holds ${list.length} images; none is tagged :${tag} (tags: ${list.flatMap((e) => e.RepoTags ?? []).join(', ')})`);
  if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) throw new UserError(`${name}: manifest.json entry has no Config or Layers`);
  const config = await source.readSmall(entry.Config);
  const parsedConfig = parseJson<ImageConfig>(config, `${name}: ${entry.Config}`);
  const diffIds = parsedConfig.rootfs?.diff_ids ?? [];
  if (diffIds.length !== entry.Layers.length) {
    throw new UserError(`${name}: the config lists ${diffIds.length} layer diff IDs but manifest.json lists ${entry.Layers.length} layers`);
  }
  const blobs: Plan['blobs'] = [];
  const layers: Descriptor[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    const info = await source.describe(path);
    if (!info) throw new UserError(`${name}: layer ${path} is missing from the archive`);
    if (!info.gzip && info.digest !== diffIds[i]) {
      throw new UserError(`${name}: layer ${path} is corrupt: its digest ${info.digest} is not the diff ID ${diffIds[i]} in the config`);
    }
    const descriptor = { mediaType: info.gzip ? MediaType.ociLayerGzip : MediaType.ociLayer, digest: info.digest, size: info.size };
    layers.push(descriptor);
    blobs.push({ descriptor, path });
  }
  const configDescriptor = { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length };
  blobs.push({ descriptor: configDescriptor, path: entry.Config });
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers }));
  return { format: 'docker-archive', blobs, children: [], top: { bytes: manifest, mediaType: MediaType.ociManifest } };
}

function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return `blobs/${algorithm}/${hex}`;
}

async function planOciLayout(source: ArchiveSource, name: string, tag: string): Promise<Plan> {
  const index = parseJson<{ manifests?: Descriptor[] }>(await source.readSmall('index.json'), `${name}: index.json`);
  const manifests = index.manifests ?? [];
  if (manifests.length === 0) throw new UserError(`${name}: index.json lists no image`);
  const refName = (d: Descriptor) => d.annotations?.['org.opencontainers.image.ref.name'];
  const chosen = manifests.length === 1 ? manifests[0]! : manifests.find((d) => refName(d) === tag);
  if (!chosen) {
    throw new UserError(`${name}: the layout holds ${manifests.length} images; none is named '${tag}' (names: ${manifests.map((d) => refName(d) ?? d.digest).join(', ')})`);
  }
  const blobs: Plan['blobs'] = [];
  const children: Plan['children'] = [];
  const readManifest = async (d: Descriptor) => {
    const bytes = await source.readSmall(blobPath(d.digest));
    if (sha256(bytes) !== d.digest) throw new UserError(`${name}: ${blobPath(d.digest)} is corrupt (its content does not hash to its name)`);
    return bytes;
  };
  const addImage = async (d: Descriptor, bytes: Buffer) => {
    const parsed = parseManifest({ digest: d.digest, mediaType: d.mediaType, bytes });
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) {
        const childBytes = await readManifest(child);
        await addImage(child, childBytes);
        children.push({ bytes: childBytes, mediaType: child.mediaType });
      }
      return;
    }
    for (const blob of [parsed.image.config, ...parsed.image.layers]) {
      const info = await source.describe(blobPath(blob.digest));
      if (!info) throw new UserError(`${name}: blob ${blob.digest} is missing from the layout`);
      if (info.size !== blob.size) throw new UserError(`${name}: blob ${blob.digest} has ${info.size} bytes, the manifest says ${blob.size}`);
      blobs.push({ descriptor: blob, path: blobPath(blob.digest) });
    }
  };
  const topBytes = await readManifest(chosen);
  await addImage(chosen, topBytes);
  const mediaType = chosen.mediaType || (isIndexMediaType(parseJson<{ mediaType?: string }>(topBytes, 'manifest').mediaType ?? '') ? MediaType.ociIndex : MediaType.ociManifest);
  return { format: 'oci-layout', blobs, children, top: { bytes: topBytes, mediaType } };
}

/** Opens a path as an archive source and says which format it holds. */
async function openArchive(path: string): Promise<{ source: ArchiveSource; kind: 'docker' | 'oci' }> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${describeError(err)}`);
  }
  const source = isDirectory ? directorySource(path) : await tarSource(path);
  const has = async (p: string) => (isDirectory ? existsSync(join(path, p)) : (await source.describe(p)) !== undefined);
  if (await has('manifest.json')) return { source, kind: 'docker' };
  if (await has('index.json')) return { source, kind: 'oci' };
  throw new UserError(`${path}: neither a docker-archive (no manifest.json) nor an OCI layout (no index.json)`);
}

/**
 * Pushes a docker-archive or OCI layout to `target` and returns the digest of the manifest
 * now under `target.tag`. Blobs the repository already has are not uploaded.
 */
export async function pushArchive(client: RegistryClient, path: string, target: ArchiveTarget, options: { log?: (line: string) => void; concurrency?: number } = {}): Promise<ArchivePushResult> {
  const log = options.log ?? (() => undefined);
  const { source, kind } = await openArchive(path);
  const plan = kind === 'docker' ? await planDockerArchive(source, path, target.tag) : await planOciLayout(source, path, target.tag);

  const unique = new Map<string, Plan['blobs'][number]>();
  for (const b of plan.blobs) if (!unique.has(b.descriptor.digest)) unique.set(b.descriptor.digest, b);
  const counts: Record<UploadResult, number> = { exists: 0, mounted: 0, uploaded: 0 };
  const missing: Plan['blobs'] = [];
  await mapLimit([...unique.values()], options.concurrency ?? 8, async (b) => {
    if (await client.headBlob(target, b.descriptor.digest)) counts.exists++;
    else missing.push(b);
  });
  log(`${formatRepository(target)}: ${unique.size} blobs, ${counts.exists} already there, ${missing.length} to upload`);

  const byPath = new Map(missing.map((b) => [b.path, b]));
  // With every blob there, the archive is not read a second time.
  if (byPath.size > 0)
    await source.streamEach(new Set(byPath.keys()), async (entryPath, stream) => {
      const b = byPath.get(entryPath) ?? [...byPath.values()].find((x) => normalizeEntryPath(x.path) === entryPath);
      if (!b) return;
      let first = true;
      const result = await client.pushBlob(
        target,
        { digest: b.descriptor.digest, size: b.descriptor.size },
        () => {
          if (first) {
            first = false;
            return stream;
          }
          return source.open(b.path);
        },
        { skipExistsCheck: true },
      );
      counts[result]++;
      log(`  ${b.descriptor.digest} (${b.descriptor.size} bytes): ${result}`);
    });
  if (counts.uploaded + counts.mounted + counts.exists < unique.size) {
    throw new UserError(`${path}: some blobs were not found while reading the archive a second time (did the file change?)`);
  }
  for (const child of plan.children) await client.putManifest(target, sha256(child.bytes), child);
  const digest = await client.putManifest(target, target.tag, plan.top);
  return { digest, mediaType: plan.top.mediaType, format: plan.format, blobs: counts };
}
