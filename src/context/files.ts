// The one definition of a build context: which files of a directory a build sees. The input
// hash (src/graph/hash.ts), kaniko's context tarball and preview tarballs all walk it through
// listContext, so what is hashed is exactly what the builder receives.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';

export interface ContextEntry {
  /** Path relative to the context, with `/` separators. */
  path: string;
  /** Absolute path on disk. */
  fullPath: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  size: number;
  mtime: Date;
  /** Target of a symlink. */
  linkname?: string;
}

/** `.dockerignore` as a predicate over context-relative paths (last matching pattern wins). */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l)
        .trim()
        .replace(/^\.?\/+/, '')
        .replace(/\/+$/, '');
      const match = picomatch([pattern, `${pattern}/**`], { dot: true });
      return { negate, match };
    });
  if (rules.length === 0) return () => false;
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.match(path)) ignored = !rule.negate;
    return ignored;
  };
}

/**
 * Every entry of a build context in a stable order (sorted by name, parents before children),
 * without `.git` and without what `.dockerignore` excludes. Sockets, FIFOs and devices are
 * skipped: no builder can send them.
 */
export function listContext(dir: string): ContextEntry[] {
  const ignorePath = join(dir, '.dockerignore');
  const ignored = existsSync(ignorePath) ? dockerignoreMatcher(readFileSync(ignorePath, 'utf8')) : () => false;
  const entries: ContextEntry[] = [];
  const walk = (current: string, prefix: string): void => {
    for (const name of readdirSync(current).sort()) {
      const path = prefix + name;
      if (name === '.git' || ignored(path)) continue;
      const fullPath = join(current, name);
      const st = lstatSync(fullPath);
      const common = { path, fullPath, mode: st.mode & 0o7777, size: st.size, mtime: st.mtime };
      if (st.isSymbolicLink()) entries.push({ ...common, type: 'symlink', size: 0, linkname: readlinkSync(fullPath) });
      else if (st.isDirectory()) {
        entries.push({ ...common, type: 'directory', size: 0 });
        walk(fullPath, `${path}/`);
      } else if (st.isFile()) entries.push({ ...common, type: 'file' });
    }
  };
  walk(dir, '');
  return entries;
}
