// The one module that runs git.
import { UserError } from '../../lib/errors.js';
import { exec } from '../process/exec.js';

async function git(cwd: string, args: string[]): Promise<string> {
  const stderr: string[] = [];
  const result = await exec('git', ['-C', cwd, ...args], { onLine: (line, stream) => stream === 'stderr' && stderr.push(line) });
  if (result.exitCode !== 0) throw new UserError(`git ${args[0]} failed: ${stderr.find((l) => l.trim() !== '')?.trim() ?? `exit code ${result.exitCode}`}`);
  return result.stdout;
}

/** True for the all-zero SHA GitHub sends as `before` when a branch is first pushed. */
export function isNullRevision(rev: string): boolean {
  return /^0{7,64}$/.test(rev);
}

/**
 * Files changed since `since` under `dir`, relative to `dir`: committed changes up to HEAD,
 * uncommitted edits and untracked files (so a laptop run sees what a push would).
 */
export async function changedFilesSince(dir: string, since: string): Promise<string[]> {
  try {
    await git(dir, ['rev-parse', '--verify', '--quiet', `${since}^{commit}`]);
  } catch {
    throw new UserError(
      `--since ${since}: no such commit in this repository; check the revision, and in GitHub Actions fetch enough history (actions/checkout with fetch-depth: 0)`,
    );
  }
  const diff = await git(dir, ['diff', '--name-only', '--relative', '-z', '--no-renames', since, '--', '.']);
  const untracked = await git(dir, ['ls-files', '--others', '--exclude-standard', '-z', '--', '.']);
  return [...new Set([...diff.split('\0'), ...untracked.split('\0')].filter(Boolean))].sort();
}

/** The commit SHA of HEAD, or undefined outside a git repository. */
export async function headCommit(dir: string): Promise<string | undefined> {
  try {
    return (await git(dir, ['rev-parse', 'HEAD'])).trim();
  } catch {
    return undefined;
  }
}

/** The current branch name, or undefined when detached or outside git. */
export async function currentBranch(dir: string): Promise<string | undefined> {
  try {
    const name = (await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
    return name === 'HEAD' ? undefined : name;
  } catch {
    return undefined;
  }
}

/** True when files under `dir` differ from HEAD (edited, staged or untracked). */
export async function hasUncommittedChanges(dir: string): Promise<boolean> {
  try {
    return (await git(dir, ['status', '--porcelain', '--', '.'])).trim() !== '';
  } catch {
    return false;
  }
}
