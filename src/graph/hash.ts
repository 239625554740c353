// Input hashes for build avoidance (G4): a content hash of everything that goes into an image
// apart from its parents, combined with the parents' digests once those are known.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import type { ImageNode } from './graph.js';

/** Bumped whenever the hashed material changes shape, so old hashes never match new ones. */
const HASH_VERSION = 'build-image/inputs/v1';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `.dockerignore` as a predicate over context-relative paths (last matching pattern wins). */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\.?\/+/, '').replace(/\/+$/, '');
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

/** Caches file digests across the images of one plan (contexts often overlap). */
export class FileHasher {
  private readonly cache = new Map<string, string>();
  private readonly modes = new Map<string, number>();

  /**
   * Records a digest (and, when known, the mode) for a file the caller has already read, so
   * the context walk neither reads nor stats it again (the plan reads every Dockerfile anyway).
   */
  remember(path: string, digest: string, mode?: number): void {
    this.cache.set(path, digest);
    if (mode !== undefined) this.modes.set(path, mode);
  }

  file(path: string): string {
    let digest = this.cache.get(path);
    if (digest === undefined) {
      digest = sha256(readFileSync(path));
      this.cache.set(path, digest);
    }
    return digest;
  }

  /** Sorted `path mode digest` lines for every file of a context, honouring .dockerignore. */
  context(dir: string): string[] {
    const top = readdirSync(dir, { withFileTypes: true });
    const ignored = top.some((e) => e.name === '.dockerignore' && !e.isDirectory())
      ? dockerignoreMatcher(readFileSync(join(dir, '.dockerignore'), 'utf8'))
      : () => false;
    const lines: string[] = [];
    const walk = (current: string, entries = readdirSync(current, { withFileTypes: true })): void => {
      for (const entry of entries) {
        const full = join(current, entry.name);
        const rel = relative(dir, full).split(sep).join('/');
        if (entry.name === '.git' || ignored(rel)) continue;
        if (entry.isDirectory()) walk(full);
        else if (entry.isSymbolicLink()) lines.push(`${rel} link ${readlinkSync(full)}`);
        else if (entry.isFile()) {
          const executable = ((this.modes.get(full) ?? lstatSync(full).mode) & 0o111) !== 0;
          lines.push(`${rel} ${executable ? '755' : '644'} ${this.file(full)}`);
        }
      }
    };
    walk(dir, top);
    return lines.sort();
  }
}

/**
 * Hash of the Dockerfile, build args, the parts of the template that shape the image, and
 * every context file. Smoke tests, watch paths, resources and credentials do not change the
 * image and are left out.
 */
export function contentHash(root: string, node: ImageNode, hasher: FileHasher): string {
  const spec = node.template.spec;
  // The Dockerfile's text is part of the material itself; its entry in the context listing
  // only needs to be stable, so it is derived from that text rather than read again.
  if (node.dockerfileText !== '') hasher.remember(resolve(root, node.dockerfile), sha256(node.dockerfileText), node.dockerfileMode);
  const material = {
    version: HASH_VERSION,
    repository: spec.image,
    dockerfile: node.dockerfileText,
    dockerfilePath: node.dockerfile,
    buildArgs: Object.entries(node.buildArgs).sort(([a], [b]) => (a < b ? -1 : 1)),
    context: hasher.context(resolve(root, spec.context)),
  };
  return sha256(JSON.stringify(material));
}

/**
 * The input hash proper: the content hash with the digest of every base the image builds on
 * (template parents by name, outside bases by reference), known only once parents are built.
 */
export function combineInputHash(content: string, bases: Readonly<Record<string, string>>): string {
  const sorted = Object.entries(bases).sort(([a], [b]) => (a < b ? -1 : 1));
  return sha256(JSON.stringify({ version: HASH_VERSION, content, bases: sorted }));
}
