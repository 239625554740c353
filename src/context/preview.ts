// W2: the preview archive of a working tree. The context's files as the one context walker
// lists them (src/context/files.ts, .dockerignore applied), uncommitted edits included, with
// the Dockerfile as built and the build's settings, in a tar whose bytes depend only on
// content: entries sorted, every mtime fixed, uid/gid 0. Its sha256 names the preview tag.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { contextTar } from './tar.js';

/** Every entry of a preview archive carries this mtime. */
export const PREVIEW_MTIME = new Date(0);

/** What besides the files decides the image: build args, outside bases by digest, the repository. */
export interface PreviewSettings {
  repository: string;
  buildArgs: Readonly<Record<string, string>>;
  bases: Readonly<Record<string, string>>;
}

/** JSON with keys sorted at every level, so equal settings are equal bytes. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The archive: `context/...`, `Dockerfile` (as built, parents pinned) and `build.json`. */
export function previewArchive(contextDir: string, dockerfile: string, settings: PreviewSettings): Readable {
  return contextTar(contextDir, {
    prefix: 'context',
    mtime: PREVIEW_MTIME,
    extra: [
      { name: 'Dockerfile', content: dockerfile },
      { name: 'build.json', content: stableJson(settings) },
    ],
  });
}

/** sha256 (hex) of the preview archive. */
export async function previewHash(contextDir: string, dockerfile: string, settings: PreviewSettings): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of previewArchive(contextDir, dockerfile, settings)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The tag of a preview: `preview-<hash>`. */
export function previewTag(hash: string): string {
  return `preview-${hash}`;
}
