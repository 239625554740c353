// A push-fed tar reader: ustar, GNU (long names, base-256 sizes) and PAX (path, linkpath, size)
// headers, as docker save, buildah, kaniko, skopeo and Nix write them. Pure: chunks go in through
// `write`, each entry's header and data come out through the visitor, synchronously, so a caller
// reads a file, a gunzip stream or an HTTP body at its own pace and hashes or keeps what it wants.
// It replaces a general streaming extractor whose per-entry streams cost more than the reading.
// The header parsing is exported on its own (parseTarHeader, applyTarMetadata) for a reader
// that seeks from header to header in a plain tar file instead (archive.ts).

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

export interface TarHeader {
  /** As in the archive: `bin/sh`, `./etc/passwd`, `usr/bin/`. */
  name: string;
  type: TarEntryType;
  linkname?: string;
  mode: number;
  size: number;
}

/** Where an entry's data goes: each chunk in order, then `end` (when given) after the last. */
export interface TarEntrySink {
  data(chunk: Buffer): void;
  end?(): void;
}

export class TarFormatError extends Error {}

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

function text(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** An octal field (NUL/space padded), or GNU base-256 when its first byte has the high bit set. */
function number(block: Buffer, start: number, length: number): number {
  if (block[start]! & 0x80) {
    let value = block[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  // The usual field, digits then NUL/space padding, read from the bytes (every header has
  // three); anything else takes the general path below, which also words the error.
  const end = start + length;
  let at = start;
  let value = 0;
  for (; at < end; at++) {
    const c = block[at]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
  }
  let padding = at;
  while (padding < end && (block[padding] === 0 || block[padding] === 0x20)) padding++;
  if (padding === end) return value;
  const digits = block
    .toString('latin1', start, start + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarFormatError(`invalid number field ${JSON.stringify(digits)} in a tar header`);
  return parseInt(digits, 8);
}

/** The header checksum: bytes summed with the checksum field as spaces (old tars summed signed bytes). */
function checksumMatches(block: Buffer): boolean {
  let stored: number;
  try {
    stored = number(block, 148, 8);
  } catch {
    return false;
  }
  // One pass outside the checksum field (counted as eight spaces). Old tars summed the bytes as
  // signed: each byte of 0x80 or more then counts 256 less.
  let unsigned = 8 * 0x20;
  let high = 0;
  for (let i = 0; i < BLOCK; i = i === 147 ? 156 : i + 1) {
    unsigned += block[i]!;
    if (block[i]! >= 0x80) high++;
  }
  return stored === unsigned || stored === unsigned - 256 * high;
}

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '5': 'directory' };

/** PAX records: `<length> <key>=<value>\n`, the length counting the whole record. */
function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.toString('latin1', at, space));
    if (space === -1 || !Number.isInteger(length) || length <= 0 || at + length > data.length) throw new TarFormatError('invalid PAX extended header');
    const record = data.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

export const TAR_BLOCK = BLOCK;

/** Bytes after an entry's `size` data bytes up to the next header. */
export function tarPadding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** What PAX 'x' and GNU 'L'/'K' entries say about the next header. */
export interface TarOverrides {
  path?: string;
  linkpath?: string;
  size?: number;
}

/**
 * One 512-byte header block: the end of the archive (a zero block), a metadata entry whose
 * `size` bytes of data are for `applyTarMetadata` (PAX 'x', GNU 'L'/'K'), a PAX global header to
 * skip ('g'), or an entry, with `overrides` (from the metadata entries before it) applied.
 * Throws a TarFormatError when the block is not a tar header.
 */
export function parseTarHeader(block: Buffer, overrides: TarOverrides): { kind: 'end' } | { kind: 'metadata'; flag: string; size: number } | { kind: 'global'; size: number } | { kind: 'entry'; header: TarHeader } {
  if (block[0] === 0 && block.equals(ZERO_BLOCK)) {
    // The end-of-archive marker (two zero blocks; the first is enough to stop). An empty
    // layer is just that: docker's empty layer is 1024 zero bytes.
    return { kind: 'end' };
  }
  if (!checksumMatches(block)) throw new TarFormatError('invalid tar header (bad checksum): not a tar, or still compressed');
  const flag = String.fromCharCode(block[156]!);
  const size = number(block, 124, 12);
  if (flag === 'x' || flag === 'L' || flag === 'K') return { kind: 'metadata', flag, size };
  // Global PAX headers (a comment, a default mtime) change nothing read here.
  if (flag === 'g') return { kind: 'global', size };
  const magic = block.toString('latin1', 257, 263);
  let name = text(block, 0, 100);
  // POSIX ustar splits long names into prefix/name; GNU ('ustar  ') uses those bytes for times.
  if (magic === 'ustar\0') {
    const prefix = text(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const type: TarEntryType = TYPES[flag] ?? 'other';
  const linkname = overrides.linkpath ?? text(block, 157, 100);
  return {
    kind: 'entry',
    header: {
      name: overrides.path ?? name,
      type,
      ...(linkname ? { linkname } : {}),
      mode: number(block, 100, 8),
      // Directories and links carry no data whatever their size field says.
      size: type === 'directory' || type === 'symlink' || type === 'link' ? 0 : (overrides.size ?? size),
    },
  };
}

/** Records what a metadata entry's data (`flag` 'x', 'L' or 'K') says in `overrides`. */
export function applyTarMetadata(flag: string, data: Buffer, overrides: TarOverrides): void {
  if (flag === 'x') {
    const records = paxRecords(data);
    if (records.path !== undefined) overrides.path = records.path;
    if (records.linkpath !== undefined) overrides.linkpath = records.linkpath;
    if (records.size !== undefined) overrides.size = Number(records.size);
  } else {
    const value = data.toString('utf8').replace(/\0+$/, '');
    if (flag === 'L') overrides.path = value;
    else overrides.linkpath = value;
  }
}

/**
 * Reads a tar fed in chunks of any size. `visit` sees every entry that is a file, directory or
 * link (PAX and GNU metadata entries are applied, not shown) and says where its data goes.
 * `end()` throws when the archive stopped inside a header or an entry's data.
 */
export class TarReader {
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Data bytes left in the current entry, then the padding up to the next block. */
  private remaining = 0;
  private padding = 0;
  private sink: TarEntrySink | undefined;
  /** Metadata entries (PAX 'x', GNU 'L'/'K') being collected, applied to the next header. */
  private meta: { kind: string; chunks: Buffer[] } | undefined;
  private pending: TarOverrides = {};
  private finished = false;

  constructor(private readonly visit: (header: TarHeader) => TarEntrySink | undefined) {}

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.finished) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - at);
        const data = chunk.subarray(at, at + n);
        if (this.meta) this.meta.chunks.push(data);
        else this.sink?.data(data);
        this.remaining -= n;
        at += n;
        if (this.remaining === 0) this.entryDone();
      } else if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - at);
        this.padding -= n;
        at += n;
      } else {
        const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.readHeader();
        }
      }
    }
  }

  end(): void {
    if (this.finished) return;
    if (this.headerFill > 0 || this.remaining > 0 || this.padding > 0 || this.meta) throw new TarFormatError('unexpected end of the archive');
  }

  private readHeader(): void {
    const parsed = parseTarHeader(this.header, this.pending);
    if (parsed.kind === 'end') {
      this.finished = true;
    } else if (parsed.kind === 'metadata') {
      this.meta = { kind: parsed.flag, chunks: [] };
      this.begin(parsed.size);
    } else if (parsed.kind === 'global') {
      this.sink = undefined;
      this.begin(parsed.size);
    } else {
      this.pending = {};
      this.sink = this.visit(parsed.header);
      this.begin(parsed.header.size);
    }
  }

  private begin(size: number): void {
    this.remaining = size;
    this.padding = tarPadding(size);
    if (size === 0) this.entryDone();
  }

  private entryDone(): void {
    const meta = this.meta;
    if (!meta) {
      const sink = this.sink;
      this.sink = undefined;
      sink?.end?.();
      return;
    }
    this.meta = undefined;
    applyTarMetadata(meta.kind, Buffer.concat(meta.chunks), this.pending);
  }
}
