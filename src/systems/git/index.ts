// The one module that runs git.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UserError } from '../../lib/errors.js';

const execFileAsync = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', ['-C', cwd, ...args], { maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UserError('git is not installed or not on PATH');
    const stderr = (e.stderr ?? '').trim().split('\n')[0] ?? '';
    throw new UserError(`git ${args[0]} failed: ${stderr || e.message}`);
  }
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

export interface FetchRepositoryOptions {
  /** Where repositories live, like actions/checkout's github-server-url: https://github.com, a GitHub Enterprise URL, or file:///srv/git in tests. */
  serverUrl: string;
  /** `owner/repo`. */
  repository: string;
  /** A branch, tag or commit SHA; default the remote's HEAD. */
  ref?: string;
  /** A token for https servers, sent as actions/checkout does (basic auth as x-access-token), never on the command line. */
  token?: string;
  /** An empty or missing directory to check the files out into. */
  dir: string;
}

/** The clone URL of `owner/repo` on a server: `<server>/<owner>/<repo>.git`. */
export function repositoryUrl(serverUrl: string, repository: string): string {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) throw new UserError(`'${repository}' is not an owner/repo name`);
  return `${serverUrl.replace(/\/+$/, '')}/${repository}.git`;
}

/**
 * Fetches one commit of `owner/repo` (shallow) into `dir` and checks it out; returns the commit
 * SHA. A branch, a tag or a full commit SHA all work (git's protocol v2 serves any commit).
 */
export async function fetchRepository(options: FetchRepositoryOptions): Promise<{ commit: string; dir: string }> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(options.dir, { recursive: true });
  const url = repositoryUrl(options.serverUrl, options.repository);
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
  if (options.token) {
    // GIT_CONFIG_* keeps the header out of argv and out of the checkout's .git/config.
    const basic = Buffer.from(`x-access-token:${options.token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${options.serverUrl.replace(/\/+$/, '')}/.extraheader`;
    env.GIT_CONFIG_VALUE_0 = `AUTHORIZATION: basic ${basic}`;
  }
  const run = async (args: string[]): Promise<string> => {
    try {
      const { stdout } = await execFileAsync('git', ['-C', options.dir, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new UserError('git is not installed or not on PATH');
      const lines = (e.stderr ?? '').trim().split('\n').filter((l) => /fatal|error/i.test(l));
      throw new UserError(`fetching ${options.repository}${options.ref ? ` at ${options.ref}` : ''} from ${options.serverUrl} failed: ${(lines[0] ?? e.message).replace(/^fatal: /, '')}`);
    }
  };
  await run(['init', '--quiet']);
  await run(['fetch', '--quiet', '--depth', '1', '--no-tags', url, options.ref ?? 'HEAD']);
  await run(['checkout', '--quiet', '--force', 'FETCH_HEAD']);
  const commit = (await run(['rev-parse', 'HEAD'])).trim();
  return { commit, dir: options.dir };
}

/** The commit SHA a revision (branch, tag, short SHA) names in a local repository, or undefined. */
export async function resolveCommit(dir: string, revision: string): Promise<string | undefined> {
  try {
    return (await git(dir, ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
