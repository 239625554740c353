// Other repositories an image is built from (spec.source) or follows (spec.sources), resolved
// to the commits their refs point at now (`git ls-remote`), once per repository and ref.
import type { ImageTemplate, LinkedSource } from '../templates/types.js';
import { resolveRemoteRef } from '../systems/git/index.js';
import { UserError, describeError } from '../lib/errors.js';
import type { ResolvedSource } from './types.js';

/** Where `github: owner/repo` lives: the Actions server (GitHub Enterprise Server too), else github.com. */
export const GITHUB_SERVER = process.env.GITHUB_SERVER_URL || 'https://github.com';

/** The clone URL of a linked source: `git` as written, `github: owner/repo` on the GitHub server. */
export function sourceUrl(source: LinkedSource, githubServer = GITHUB_SERVER): string {
  return source.git ?? `${githubServer.replace(/\/+$/, '')}/${source.github}.git`;
}

export interface TemplateSources {
  source?: ResolvedSource & { path: string };
  sources: ResolvedSource[];
}

/** Resolves the sources of every template; one ls-remote per distinct (URL, ref). */
export async function resolveTemplateSources(templates: readonly ImageTemplate[], options: { githubServer?: string; resolve?: (url: string, ref?: string) => Promise<string> } = {}): Promise<Map<string, TemplateSources>> {
  const resolveRef = options.resolve ?? resolveRemoteRef;
  const pending = new Map<string, Promise<string>>();
  const commitOf = (url: string, ref?: string): Promise<string> => {
    const key = `${url}\n${ref ?? ''}`;
    let commit = pending.get(key);
    if (!commit) {
      commit = resolveRef(url, ref);
      commit.catch(() => undefined);
      pending.set(key, commit);
    }
    return commit;
  };
  const resolved = new Map<string, TemplateSources>();
  await Promise.all(
    templates
      .filter((t) => t.spec.source || t.spec.sources.length > 0)
      .map(async (t) => {
        const entry: TemplateSources = { sources: [] };
        const where =
          (field: string) =>
          (err: unknown): never => {
            throw new UserError(`${t.file}: ${field}: ${describeError(err)}`);
          };
        if (t.spec.source) {
          const { git: url, ref, path } = t.spec.source;
          const commit = await commitOf(url, ref).catch(where('spec.source'));
          entry.source = { url, ...(ref !== undefined ? { ref } : {}), commit, path: (path ?? '.').replace(/^\.\/(?=.)/, '').replace(/\/+$/, '') || '.' };
        }
        for (const linked of t.spec.sources) {
          const url = sourceUrl(linked, options.githubServer);
          entry.sources.push({ url, ...(linked.ref !== undefined ? { ref: linked.ref } : {}), commit: await commitOf(url, linked.ref).catch(where('spec.sources')) });
        }
        resolved.set(t.name, entry);
      }),
  );
  return resolved;
}
