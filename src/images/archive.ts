// Archive push (P4): an image built elsewhere, as a docker-archive (what `docker save` and
// Nix's dockerTools make: manifest.json + config + layer tars, the whole file maybe gzip'd,
// layers maybe gzip'd) or an OCI image layout (a directory, or a tar of one), pushed to a
// registry. Layers are streamed, never held whole in memory.
//
// A plain tar is indexed by seeking from header to header without reading entry data, and a
// blob is uploaded straight from its byte range, several at a time: a push that finds every
// blob in the registry reads a few KB of a multi-GB archive. Digests come without reading
// layers where the archive vouches for them: an uncompressed docker-archive layer's is the diff
// ID in the config (which is hashed, and whose digest the manifest names), an OCI blob's is its
// name. Those bytes are checked only when uploaded (the client and the registry hash what is
// sent); a corrupt copy of a blob the registry already has goes unnoticed, harmlessly, since
// the registry's copy is the one the image names. gzip'd docker layers are hashed (their digest
// is in no file). A directory is read the same way (sizes from stat). A gzip'd archive cannot
// seek: it is read twice, once to digest every entry and once to upload what is missing.
//
// Uncompressed docker-archive layers are pushed as they are, with the OCI media type
// `application/vnd.oci.image.layer.v1.tar`: their digest is then their diff ID, so blobs
// already in the registry are skipped before any upload; nothing is recompressed (no CPU cost,
// and the same archive always yields the same manifest digest). gzip'd layers keep
// `...tar+gzip`. The manifest written is an OCI image manifest.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fstatSync, openSync, promises as fs, readSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { UserError, describeError } from '../lib/errors.js';
import { formatRepository, sha256, type RegistryClient, type RepositoryName, type UploadResult } from '../systems/registry/client.js';
import { mapLimit } from '../lib/concurrency.js';
import { MediaType, isIndexMediaType, parseManifest, type Descriptor, type ImageConfig } from '../systems/registry/types.js';
import { TAR_BLOCK, TarFormatError, TarReader, applyTarMetadata, parseTarHeader, tarPadding, type TarEntrySink, type TarHeader, type TarOverrides } from './tar.js';

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
  gzip: boolean;
  /** The content's digest when reading the archive computed it anyway (a gzip'd archive). */
  known?: string;
  /** The content's sha256 digest, read and hashed on the first call. */
  digest(): Promise<string>;
}

/** Where the archive's files come from: a tar file (indexed, or read in passes when gzip'd) or a directory. */
interface ArchiveSource {
  describe(path: string): Promise<EntryInfo | undefined>;
  readSmall(path: string): Promise<Buffer>;
  /**
   * Only for a source that cannot seek (a gzip'd tar): streams the entries at `paths`, in
   * archive order, one at a time, in one pass. Others upload each blob from `open`.
   */
  streamEach?(paths: ReadonlySet<string>, fn: (path: string, stream: Readable) => Promise<void>): Promise<void>;
  open(path: string): Promise<Readable>;
}

const SMALL_LIMIT = 4 * 1024 * 1024;

function normalizeEntryPath(name: string): string {
  return posix.normalize(name.replace(/^\.?\/+/, '')).replace(/\/$/, '');
}

const isGzip = (head: Buffer | undefined): boolean => head !== undefined && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/** Small JSON files (manifest.json, configs, OCI manifests and indexes) are read whole; layers never are. */
const isSmallJson = (path: string, size: number, head: Buffer | undefined): boolean => size > 0 && size <= SMALL_LIMIT && (head?.[0] === 0x7b /* { */ || head?.[0] === 0x5b /* [ */ || path.endsWith('oci-layout'));

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}

async function hashStream(stream: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

/** Fills `buffer` from `position` on; fewer bytes only at the end of the file. */
function readAt(fd: number, buffer: Buffer, position: number): number {
  let filled = 0;
  while (filled < buffer.length) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

function isGzipFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readAt(fd, head, 0) === 2 && isGzip(head);
  } finally {
    closeSync(fd);
  }
}

/** A file entry of a plain tar: where its data is, and its first two bytes. */
export interface TarIndexEntry {
  offset: number;
  size: number;
  head: Buffer;
}

export interface TarIndex {
  /** File entries by normalized path (the last one wins, as when extracting). */
  entries: Map<string, TarIndexEntry>;
  /** Symbolic and hard links by normalized path: their targets, normalized. */
  links: Map<string, string>;
  /** Bytes read to make the index. */
  bytesRead: number;
}

/** The window a plain tar's headers are read through: a header and the start of its data, or a run of small entries. */
const WINDOW = 16 * 1024;

/**
 * Indexes a plain tar file by reading its headers at their offsets and jumping over entry data.
 * Throws a TarFormatError for what is not a tar, or is cut short.
 */
export function indexTar(file: string): TarIndex {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const window = Buffer.allocUnsafe(WINDOW);
    let windowStart = 0;
    let windowLength = 0;
    let bytesRead = 0;
    /** `length` bytes at `at` (fewer at the end of the file); valid until the next call. */
    const bytesAt = (at: number, length: number): Buffer => {
      if (length > WINDOW) {
        const buf = Buffer.allocUnsafe(length);
        const n = readAt(fd, buf, at);
        bytesRead += n;
        return buf.subarray(0, n);
      }
      if (at < windowStart || at + length > windowStart + windowLength) {
        windowStart = at;
        windowLength = readAt(fd, window, at);
        bytesRead += windowLength;
      }
      return window.subarray(at - windowStart, Math.min(at - windowStart + length, windowLength));
    };
    const entries = new Map<string, TarIndexEntry>();
    const links = new Map<string, string>();
    let overrides: TarOverrides = {};
    for (let at = 0; ;) {
      const block = bytesAt(at, TAR_BLOCK);
      // Ending on a block boundary without the two zero blocks is tolerated, as TarReader does.
      if (block.length === 0) break;
      if (block.length < TAR_BLOCK) throw new TarFormatError('unexpected end of the archive');
      const parsed = parseTarHeader(block, overrides);
      if (parsed.kind === 'end') break;
      const size = parsed.kind === 'entry' ? parsed.header.size : parsed.size;
      if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(`invalid entry size ${size} in a tar header`);
      const dataAt = at + TAR_BLOCK;
      if (dataAt + size > fileSize) throw new TarFormatError('unexpected end of the archive');
      if (parsed.kind === 'metadata') {
        if (size > SMALL_LIMIT) throw new TarFormatError(`a ${size}-byte extended header`);
        applyTarMetadata(parsed.flag, bytesAt(dataAt, size), overrides);
      } else if (parsed.kind === 'entry') {
        overrides = {};
        const { header } = parsed;
        const path = normalizeEntryPath(header.name);
        if (header.type === 'symlink') links.set(path, normalizeEntryPath(posix.join(posix.dirname(path), header.linkname ?? '')));
        else if (header.type === 'link') links.set(path, normalizeEntryPath(header.linkname ?? ''));
        else if (header.type === 'file') entries.set(path, { offset: dataAt, size, head: Buffer.from(bytesAt(dataAt, Math.min(2, size))) });
      }
      at = dataAt + size + tarPadding(size);
    }
    return { entries, links, bytesRead };
  } finally {
    closeSync(fd);
  }
}

function resolver(links: ReadonlyMap<string, string>): (path: string) => string {
  return (path) => {
    let p = normalizeEntryPath(path);
    for (let i = 0; i < 16 && links.has(p); i++) p = links.get(p)!;
    return p;
  };
}

/** A tar file: indexed by seeking when plain, read in passes when gzip'd. */
async function tarSource(file: string): Promise<ArchiveSource> {
  let index: TarIndex | undefined;
  try {
    if (!isGzipFile(file)) index = indexTar(file);
  } catch (err) {
    throw new UserError(`${file}: not a readable tar archive (${describeError(err)})`);
  }
  if (!index) return gzipTarSource(file);
  const { entries } = index;
  const resolve = resolver(index.links);
  const infos = new Map<string, EntryInfo>();
  const range = (entry: TarIndexEntry): Readable => (entry.size === 0 ? Readable.from([]) : createReadStream(file, { start: entry.offset, end: entry.offset + entry.size - 1 }));
  return {
    describe: async (path) => {
      const p = resolve(path);
      const entry = entries.get(p);
      if (!entry) return undefined;
      let info = infos.get(p);
      if (!info) {
        info = { size: entry.size, gzip: isGzip(entry.head), digest: memo(() => hashStream(range(entry))) };
        infos.set(p, info);
      }
      return info;
    },
    readSmall: async (path) => {
      const p = resolve(path);
      const entry = entries.get(p);
      if (!entry || !isSmallJson(p, entry.size, entry.head)) throw new UserError(`${file}: ${path} is missing from the archive (or is not a small JSON file)`);
      const fd = openSync(file, 'r');
      try {
        const content = Buffer.allocUnsafe(entry.size);
        if (readAt(fd, content, entry.offset) !== entry.size) throw new UserError(`${file}: the archive was cut short while reading ${path} (did the file change?)`);
        return content;
      } finally {
        closeSync(fd);
      }
    },
    open: async (path) => {
      const entry = entries.get(resolve(path));
      if (!entry) throw new UserError(`${file}: ${path} is missing from the archive`);
      return range(entry);
    },
  };
}

/** A gzip'd tar file. The first pass digests every entry and keeps small JSON files. */
async function gzipTarSource(file: string): Promise<ArchiveSource> {
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
      await pipeline(createReadStream(file), process.getBuiltinModule('node:zlib').createGunzip(), read);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`${file}: not a readable tar.gz archive (${describeError(err)})`);
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
    let keep: Buffer[] | undefined;
    return {
      data: (chunk) => {
        if (!head) {
          head = Buffer.from(chunk.subarray(0, 2));
          if (isSmallJson(path, header.size, chunk)) keep = [];
        }
        hash.update(chunk);
        size += chunk.length;
        keep?.push(Buffer.from(chunk));
      },
      end: () => {
        const digest = `sha256:${hash.digest('hex')}`;
        entries.set(path, { size, gzip: isGzip(head), known: digest, digest: async () => digest });
        if (keep) small.set(path, Buffer.concat(keep));
      },
    };
  });

  const resolve = resolver(links);
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
  const cache = new Map<string, EntryInfo | undefined>();
  return {
    describe: async (path) => {
      if (!cache.has(path)) {
        let info: EntryInfo | undefined;
        const file = full(path);
        if (statSync(file, { throwIfNoEntry: false })?.isFile()) {
          const fd = openSync(file, 'r');
          try {
            const head = Buffer.alloc(2);
            const n = readAt(fd, head, 0);
            info = { size: fstatSync(fd).size, gzip: isGzip(head.subarray(0, n)), digest: memo(() => hashStream(createReadStream(file))) };
          } finally {
            closeSync(fd);
          }
        }
        cache.set(path, info);
      }
      return cache.get(path);
    },
    readSmall: async (path) => {
      try {
        return await fs.readFile(full(path));
      } catch {
        throw new UserError(`${dir}: ${path} is missing`);
      }
    },
    open: async (path) => createReadStream(full(path)),
  };
}

interface PlannedBlob {
  descriptor: Descriptor;
  path: string;
  /**
   * Where the digest was taken from without hashing the bytes (a docker layer's diff ID, an OCI
   * blob's name): an upload that fails is then put down to corruption if the bytes hash otherwise.
   */
  vouched?: 'diff ID' | 'name';
}

interface Plan {
  format: ArchivePushResult['format'];
  /** Blobs to make present, with the archive path holding each. */
  blobs: PlannedBlob[];
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
    let digest: string;
    if (info.gzip) {
      // A compressed layer's digest is in no file of the archive.
      digest = await info.digest();
    } else {
      // An uncompressed layer's digest is its diff ID, which the config (hashed below) lists.
      digest = diffIds[i]!;
      if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new UserError(`${name}: the config lists an invalid diff ID ${JSON.stringify(digest)}`);
      if (info.known !== undefined && info.known !== digest) throw corruptLayer(name, path, info.known, digest);
    }
    const descriptor = { mediaType: info.gzip ? MediaType.ociLayerGzip : MediaType.ociLayer, digest, size: info.size };
    layers.push(descriptor);
    blobs.push({ descriptor, path, ...(info.gzip || info.known !== undefined ? {} : { vouched: 'diff ID' as const }) });
  }
  const configDescriptor = { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length };
  blobs.push({ descriptor: configDescriptor, path: entry.Config });
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers }));
  return { format: 'docker-archive', blobs, children: [], top: { bytes: manifest, mediaType: MediaType.ociManifest } };
}

function corruptLayer(name: string, path: string, actual: string, diffId: string): UserError {
  return new UserError(`${name}: layer ${path} is corrupt: its digest ${actual} is not the diff ID ${diffId} in the config`);
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
      // Named by its digest: hashed only if it is uploaded.
      blobs.push({ descriptor: blob, path: blobPath(blob.digest), vouched: 'name' });
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

  const push = async (b: PlannedBlob, stream?: Readable): Promise<void> => {
    let first = stream;
    let result: UploadResult;
    try {
      result = await client.pushBlob(
        target,
        { digest: b.descriptor.digest, size: b.descriptor.size },
        () => {
          if (first) {
            const s = first;
            first = undefined;
            return s;
          }
          return source.open(b.path);
        },
        { skipExistsCheck: true },
      );
    } catch (err) {
      // The client (and the registry) refuse bytes that do not hash to the digest: say which file is bad.
      if (b.vouched) {
        const actual = await (await source.describe(b.path))?.digest().catch(() => undefined);
        if (actual && actual !== b.descriptor.digest) {
          throw b.vouched === 'diff ID' ? corruptLayer(path, b.path, actual, b.descriptor.digest) : new UserError(`${path}: ${b.path} is corrupt (its content hashes to ${actual}, not to its name)`);
        }
      }
      throw err;
    }
    counts[result]++;
    log(`  ${b.descriptor.digest} (${b.descriptor.size} bytes): ${result}`);
  };
  // With every blob there, no layer is read at all.
  if (missing.length > 0 && source.streamEach) {
    // A gzip'd archive: one more pass, uploading each missing blob as the pass reaches it.
    const byPath = new Map(missing.map((b) => [b.path, b]));
    await source.streamEach(new Set(byPath.keys()), async (entryPath, stream) => {
      const b = byPath.get(entryPath) ?? [...byPath.values()].find((x) => normalizeEntryPath(x.path) === entryPath);
      if (b) await push(b, stream);
    });
  } else if (missing.length > 0) {
    await mapLimit(missing, options.concurrency ?? 4, (b) => push(b));
  }
  if (counts.uploaded + counts.mounted + counts.exists < unique.size) {
    throw new UserError(`${path}: some blobs were not found while reading the archive a second time (did the file change?)`);
  }
  for (const child of plan.children) await client.putManifest(target, sha256(child.bytes), child);
  const digest = await client.putManifest(target, target.tag, plan.top);
  return { digest, mediaType: plan.top.mediaType, format: plan.format, blobs: counts };
}
