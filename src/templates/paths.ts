// Where a path really is: the one "inside the repository?" rule for template folders, templates,
// Dockerfiles and the paths templates name, with symlinks followed.
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';

/** The path with every symlink followed, or undefined when it (or its target) does not exist. */
export function realPath(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** Whether the real path `real` is the real root `base` or below it. */
export function isWithin(base: string, real: string): boolean {
  return real === base || real.startsWith(base + sep);
}
