// Reading a template or Dockerfile without trusting what sits at the path: only regular files
// inside the repository are read, never more than a limit (a FIFO would block, /dev/zero never
// ends), and text that is not UTF-8 gets the line and the fix instead of a parser's confusion.
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { isWithin, realPath } from './paths.js';

export type ReadResult = { ok: true; text: string } | { ok: false; line: number; message: string; title: string; code?: string };

function kindOf(stats: import('node:fs').Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function fail(message: string, title: string, line = 0): ReadResult {
  return { ok: false, line, message, title };
}

/** 1-based line of a byte offset. */
function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8, or -1. */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/** The file's text when it is UTF-8; otherwise what it is and how to convert it. */
export function decodeText(bytes: Buffer, what: string): ReadResult {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail(`${what} is UTF-16 text; save it as UTF-8 (for example: iconv -f UTF-16 -t UTF-8 FILE > FILE.new)`, 'Not UTF-8');
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    // UTF-16 without a byte order mark: ASCII text with every other byte zero.
    const probe = bytes.subarray(0, 512);
    let zeros = 0;
    for (let i = nul % 2; i < probe.length; i += 2) if (probe[i] === 0) zeros++;
    if (zeros * 2 >= probe.length * 0.8) {
      return fail(`${what} is UTF-16 text; save it as UTF-8 (for example: iconv -f UTF-16 -t UTF-8 FILE > FILE.new)`, 'Not UTF-8');
    }
    return fail(`binary file (contains NUL bytes, first on line ${lineAt(bytes, nul)}); expected a UTF-8 text file`, 'Binary file');
  }
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const byte = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
    const latin = bytes[bad]! >= 0xa0 ? ' (it looks like Latin-1 or Windows-1252)' : '';
    return fail(`byte 0x${byte} is not UTF-8${latin}; save the file as UTF-8 (for example: iconv -f LATIN1 -t UTF-8 FILE > FILE.new)`, 'Not UTF-8', lineAt(bytes, bad));
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return { ok: true, text: bytes.toString('utf8', start) };
}

/**
 * Reads `path` as UTF-8 text when it is a regular file inside `root` (after symlinks) of at most
 * `limit` bytes. Nothing from outside the repository (not even a symlink's target) goes into
 * the message.
 */
export function readRepoText(root: string, path: string, limit: number, what = 'the file'): ReadResult {
  // Fast path, as cheap as readFileSync: open without following a symlink and without blocking
  // on a FIFO, then ask the open file what it is. Symlinks take the careful path below.
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ELOOP' && code !== 'EMLINK') return { ...fail(`cannot read ${what}: ${code ?? 'error'}`, 'Unreadable file'), ...(code ? { code } : {}) } as ReadResult;
    const outside = symlinkProblem(root, path, what);
    if (outside) return outside;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (again) {
      return fail(`cannot read ${what}: ${(again as NodeJS.ErrnoException).code ?? 'error'}`, 'Unreadable file');
    }
  }
  try {
    const stats = fstatSync(fd);
    const kind = kindOf(stats);
    if (kind) return fail(`${what} is ${kind}, not a regular file`, 'Not a file');
    if (stats.size > limit) return fail(`file is ${stats.size} bytes; ${limitText(what, limit)}`, 'File too large');
    // Read the size fstat reported (a regular file: no reading past it, no extra probe call).
    const buffer = Buffer.allocUnsafe(stats.size);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return decodeText(buffer.subarray(0, length), what);
  } catch (err) {
    return fail(`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'Unreadable file');
  } finally {
    closeSync(fd);
  }
}

/** A symlink is followed only when it stays inside the repository; its target is never echoed. */
function symlinkProblem(root: string, path: string, what: string): ReadResult | undefined {
  const real = realPath(path);
  if (real === undefined) return fail(`${what} is a symbolic link to a path that does not exist`, 'Broken symbolic link');
  // root was checked by the caller
  if (!isWithin(realPath(root) ?? root, real)) {
    return fail(`${what} is a symbolic link that leaves the repository; templates and Dockerfiles must be inside it`, 'Path outside repository');
  }
  return undefined;
}

function limitText(what: string, limit: number): string {
  const size = limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${limit} bytes`;
  return `${what === 'the Dockerfile' ? 'Dockerfiles' : 'templates'} are limited to ${size}`;
}
