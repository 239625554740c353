// The starter workflows (workflows/*.yml, carried in starters.ts) pinned to one ref of
// coder/build-image, for `build-image init`.
import { STARTERS } from './starters.js';

export const STARTER_FILES = Object.keys(STARTERS).sort();

/** The starter's text with every coder/build-image action and reusable workflow called at `ref`. */
export function pinStarter(file: string, ref: string): string {
  const text = STARTERS[file];
  if (text === undefined) throw new Error(`no starter workflow ${file}`);
  return text.replace(/(uses:\s*coder\/build-image(?:\/[\w./-]+)?)@v1\b/g, `$1@${ref}`);
}
