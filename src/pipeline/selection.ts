// Which images a build run takes, from what a person wrote: image names, `all`, or `changed`
// (since a commit). The CLI and the action share these rules and their messages.
import { UsageError } from '../lib/errors.js';
import type { ImageSelection } from './pipeline.js';

/**
 * `words` are image names, or one of `all` / `changed`; nothing means `changed` when a commit to
 * compare with is known, otherwise `all`. `where` names the flag or input in messages.
 */
export function imageSelection(words: readonly string[], since: string | undefined, where: string): ImageSelection {
  const keywords = words.filter((w) => w === 'all' || w === 'changed');
  if (keywords.length > 0 && words.length > 1) throw new UsageError(`${where}: 'all' and 'changed' cannot be mixed with image names`);
  if (words.length === 0 || keywords[0] === 'changed') return since ? { kind: 'changed', since } : { kind: 'all' };
  if (keywords[0] === 'all') return { kind: 'all' };
  if (since !== undefined) throw new UsageError(`${where}: give image names or a commit to compare with (since), not both`);
  return { kind: 'names', names: [...words] };
}
