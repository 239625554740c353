// Input hashes for build avoidance (G4): a content hash of everything that goes into an image
// apart from its parents, combined with the parents' digests once those are known.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { listContext } from '../context/files.js';
import type { ImageNode } from './graph.js';

/** Bumped whenever the hashed material changes shape, so old hashes never match new ones. */
const HASH_VERSION = 'build-image/inputs/v1';

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Caches file digests across the images of one plan (contexts often overlap). */
export class FileHasher {
  private readonly cache = new Map<string, string>();
  private readonly contexts = new Map<string, string[]>();
  /**
   * Records a digest for a file the caller has already read, so the context walk does not read
   * it again (the plan reads every Dockerfile anyway).
   */
  remember(path: string, digest: string): void {
    this.cache.set(path, digest);
  }

  file(path: string): string {
    let digest = this.cache.get(path);
    if (digest === undefined) {
      digest = sha256(readFileSync(path));
      this.cache.set(path, digest);
    }
    return digest;
  }

  /**
   * Sorted `path mode digest` lines for every file of a context (src/context decides which),
   * walked once per directory: variants of one template share their context.
   */
  context(dir: string): string[] {
    let lines = this.contexts.get(dir);
    if (lines === undefined) {
      lines = [];
      for (const entry of listContext(dir)) {
        if (entry.type === 'symlink') lines.push(`${entry.path} link ${entry.linkname}`);
        else if (entry.type === 'file') lines.push(`${entry.path} ${(entry.mode & 0o111) !== 0 ? '755' : '644'} ${this.file(entry.fullPath)}`);
      }
      lines.sort();
      this.contexts.set(dir, lines);
    }
    return lines;
  }
}

/** Commits of other repositories an image is built from (spec.source) or linked to (spec.sources). */
export interface RemoteInputs {
  source?: { url: string; commit: string; path: string };
  sources?: readonly { url: string; ref?: string; commit: string }[];
}

/**
 * Hash of the Dockerfile, build args, the parts of the template that shape the image, and
 * every context file. Smoke tests, watch paths, resources and credentials do not change the
 * image and are left out.
 */
export function contentHash(root: string, node: ImageNode, hasher: FileHasher, remote: RemoteInputs = {}): string {
  const spec = node.template.spec;
  // The Dockerfile's text is part of the material itself; its entry in the context listing
  // only needs to be stable, so it is derived from that text rather than read again.
  if (node.dockerfileText !== '') hasher.remember(resolve(root, node.dockerfile), sha256(node.dockerfileText));
  const material = {
    version: HASH_VERSION,
    repository: spec.image,
    dockerfile: node.dockerfileText,
    dockerfilePath: node.dockerfile,
    buildArgs: Object.entries(node.buildArgs).sort(([a], [b]) => (a < b ? -1 : 1)),
    // A context from another repository is that repository at one commit: the commit says it all.
    context: remote.source ? [] : hasher.context(resolve(root, spec.context)),
    ...(remote.source ? { source: [remote.source.url, remote.source.commit, remote.source.path] } : {}),
    ...(remote.sources?.length ? { sources: remote.sources.map((s) => [s.url, s.ref ?? '', s.commit]) } : {}),
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

const PINNED = /@(sha256:[0-9a-f]{64})$/;

/** The digest an image reference pins (`repo@sha256:…`), or undefined. */
export function pinnedDigest(reference: string): string | undefined {
  return PINNED.exec(reference)?.[1];
}

/**
 * The bases an input hash combines (combineInputHash): each template parent's digest, and for
 * each outside base the digest it pins, else the digest it points at now, else the reference as
 * written. Undefined while a parent's digest is unknown. The build and the nightly's decision
 * both use this, so a rebuild decided tonight hashes exactly what the build will.
 */
export function inputBases(
  image: { parents: readonly string[]; externalBases: readonly string[] },
  parentDigests: Readonly<Record<string, string | undefined>>,
  baseDigests: Readonly<Record<string, string | undefined>>,
): Record<string, string> | undefined {
  const bases: Record<string, string> = {};
  for (const parent of image.parents) {
    const digest = parentDigests[parent];
    if (digest === undefined) return undefined;
    bases[parent] = digest;
  }
  for (const reference of image.externalBases) bases[reference] = pinnedDigest(reference) ?? baseDigests[reference] ?? reference;
  return bases;
}
