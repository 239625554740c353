// What each template publishes, and so which template a FROM names (docs/tags.md). The rule:
//   - a template publishes its fixed tags (`spec.tags`, a variant's `tags`); a template with no
//     fixed tags publishes `latest`;
//   - every build also pushes `test`, the commit SHA and the branch, prefixed with the first fixed
//     tag for variants (`ubuntu-test`); see src/pipeline/tags.ts, which applies the same rule;
//   - a FROM depends on a template only when that template publishes the exact tag it names (no
//     tag means `latest`); a digest, or a tag nobody here publishes, is an outside image pulled
//     from the registry as it is;
//   - two templates publishing one repository:tag is an error.
import { DEFAULT_TAG, normalizedName, parseReference, type ImageReference } from '../systems/registry/reference.js';
import type { ImageTemplate } from '../templates/types.js';

export const LATEST = DEFAULT_TAG;
export const TEST = 'test';
const MAX_TAG = 128;
/** A full commit SHA: the commit tag a build pushes. */
export const COMMIT = /^[0-9a-f]{40}$/;

/** The prefix of generated tags: the first fixed tag and a dash, or nothing. */
function prefixOf(tags: readonly string[]): string {
  return tags.length > 0 ? `${tags[0]}-` : '';
}

/** A generated tag (`test`, the commit, the branch) as a template with these fixed tags pushes it. */
export function qualified(tags: readonly string[], tag: string): string {
  return `${prefixOf(tags)}${tag}`.slice(0, MAX_TAG).replace(/[.-]+$/, '');
}

/** The tags a template's tested image is promoted to: its fixed tags, or `latest`. */
export function promotedTags(tags: readonly string[]): string[] {
  return tags.length > 0 ? [...tags] : [LATEST];
}

/** The `test` tag a build pushes (`test`, or `<variant>-test`). */
export function testTagOf(tags: readonly string[]): string {
  return qualified(tags, TEST);
}

/** A branch name as the build tags it: `refs/heads/feature/x` -> `feature-x`. */
export function branchTag(branch: string): string | undefined {
  const slug = branch
    .replace(/^refs\/heads\//, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, MAX_TAG)
    .replace(/[.-]+$/, '');
  return slug === '' ? undefined : slug;
}

export type Resolution =
  | { kind: 'template'; template: ImageTemplate; tag: string }
  /** Not built here. `sameRepository` lists what this repository does build of it, if anything. */
  | { kind: 'external'; sameRepository: ImageTemplate[] };

export interface PublishedTag {
  /** `normalized repository:tag`. */
  key: string;
  reference: string;
  templates: ImageTemplate[];
}

/** Which template publishes the image a reference names; external for everything else. */
export class Publishers {
  private readonly byRepository = new Map<string, ImageTemplate[]>();
  private readonly byTag = new Map<string, ImageTemplate[]>();

  /** `branch`: the branch being built, whose tag the plan then knows too. */
  constructor(
    images: readonly ImageTemplate[],
    private readonly branch?: string,
  ) {
    for (const t of images) {
      let repository: string;
      try {
        repository = normalizedName(parseReference(t.spec.image));
      } catch {
        continue; // reported by the template checks
      }
      this.byRepository.set(repository, [...(this.byRepository.get(repository) ?? []), t]);
      for (const tag of new Set([...promotedTags(t.spec.tags), testTagOf(t.spec.tags)])) {
        const key = `${repository}:${tag}`;
        this.byTag.set(key, [...(this.byTag.get(key) ?? []), t]);
      }
    }
  }

  /** Tags published by more than one template. */
  duplicates(): PublishedTag[] {
    const result: PublishedTag[] = [];
    for (const [key, templates] of this.byTag) {
      const distinct = [...new Set(templates)];
      if (distinct.length > 1) result.push({ key, reference: `${distinct[0]!.spec.image}:${key.slice(key.lastIndexOf(':') + 1)}`, templates: distinct });
    }
    return result;
  }

  resolve(ref: ImageReference): Resolution {
    const repository = normalizedName(ref);
    const sameRepository = this.byRepository.get(repository) ?? [];
    if (ref.digest || sameRepository.length === 0) return { kind: 'external', sameRepository };
    const tag = ref.tag ?? LATEST;
    const exact = this.byTag.get(`${repository}:${tag}`);
    if (exact) return { kind: 'template', template: exact[0]!, tag };
    for (const t of sameRepository) {
      const prefix = prefixOf(t.spec.tags);
      if (!tag.startsWith(prefix)) continue;
      const rest = tag.slice(prefix.length);
      if (COMMIT.test(rest)) return { kind: 'template', template: t, tag };
      const branch = this.branch !== undefined ? branchTag(this.branch) : undefined;
      if (branch !== undefined && tag === qualified(t.spec.tags, branch)) return { kind: 'template', template: t, tag };
    }
    return { kind: 'external', sameRepository };
  }
}
