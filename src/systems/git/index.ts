// The one module that runs git.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../lib/errors.js';
import { exec } from '../process/exec.js';

/**
 * Never ask on a terminal for a password (a missing login is an error, not a hang), and only
 * the transports a template may name: `ext::` would run a command.
 */
const NON_INTERACTIVE = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh' };

async function git(cwd: string | undefined, args: string[], signal?: AbortSignal, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const stderr: string[] = [];
  const result = await exec('git', [...(cwd !== undefined ? ['-C', cwd] : []), ...args], {
    env: { ...process.env, ...NON_INTERACTIVE, ...env },
    onLine: (line, stream) => stream === 'stderr' && stderr.push(line),
    ...(signal ? { signal } : {}),
  });
  if (result.exitCode !== 0) throw new UserError(`git ${args[0]} failed: ${stderr.find((l) => l.trim() !== '')?.trim() ?? `exit code ${result.exitCode}`}`);
  return result.stdout;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * The commit a ref of a remote repository points at now (`git ls-remote`): a branch, a tag
 * (annotated tags peeled to their commit) or `HEAD` (the default branch) when ref is absent.
 * A full commit SHA is returned as is: it cannot move.
 */
export async function resolveRemoteRef(url: string, ref?: string, signal?: AbortSignal): Promise<string> {
  if (ref !== undefined && FULL_SHA.test(ref)) return ref;
  const wanted = ref ?? 'HEAD';
  let listing: string;
  try {
    listing = await git(undefined, ['ls-remote', '--', url, wanted, `${wanted}^{}`], signal);
  } catch (err) {
    throw new UserError(`cannot read ${url}: ${(err as Error).message.replace(/^git ls-remote failed: /, '')}`);
  }
  const refs = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/);
    if (sha && name) refs.set(name, sha);
  }
  const candidates = wanted === 'HEAD' ? ['HEAD'] : [`refs/tags/${wanted}^{}`, `refs/tags/${wanted}`, `refs/heads/${wanted}`, `${wanted}^{}`, wanted];
  // A branch and a tag of the same name: git itself prefers the tag; so do we.
  for (const name of candidates) {
    const sha = refs.get(name);
    if (sha) return sha;
  }
  throw new UserError(wanted === 'HEAD' ? `${url} has no default branch (HEAD); name a branch or tag in 'ref'` : `${url} has no branch or tag '${wanted}'`);
}

export interface Checkout {
  /** The work tree, at the commit asked for. */
  dir: string;
  /** Removes the work tree; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Fetches `revision` (a branch, a tag, `HEAD` or a full commit SHA) of `url` shallowly into
 * `dir` and checks it out; returns the commit. Servers speaking protocol v2 (GitHub, git itself)
 * hand out any commit by SHA; older ones only refs, so a SHA may fall back to `fallbackRef`'s
 * history.
 */
async function shallowCheckout(dir: string, url: string, revision: string, options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; fallbackRef?: string } = {}): Promise<string> {
  const run = (args: string[]): Promise<string> => git(dir, args, options.signal, options.env);
  await run(['init', '--quiet']);
  try {
    await run(['fetch', '--quiet', '--depth', '1', '--no-tags', '--', url, revision]);
  } catch (err) {
    if (!FULL_SHA.test(revision) || options.fallbackRef === undefined) throw err;
    await run(['fetch', '--quiet', '--no-tags', '--', url, options.fallbackRef]);
  }
  await run(['checkout', '--quiet', '--force', FULL_SHA.test(revision) ? revision : 'FETCH_HEAD']);
  return (await run(['rev-parse', 'HEAD'])).trim();
}

/**
 * A shallow checkout of one commit of a remote repository in a new temporary directory
 * (under `parent`, default the OS temp dir), without its `.git`. The caller removes it.
 */
export async function checkoutCommit(url: string, commit: string, options: { ref?: string; parent?: string; signal?: AbortSignal } = {}): Promise<Checkout> {
  if (!FULL_SHA.test(commit)) throw new UserError(`'${commit}' is not a full commit SHA (40 hex digits)`);
  const dir = await mkdtemp(join(options.parent ?? tmpdir(), 'build-image-source-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await shallowCheckout(dir, url, commit, { fallbackRef: options.ref ?? 'HEAD', ...(options.signal ? { signal: options.signal } : {}) });
    await rm(join(dir, '.git'), { recursive: true, force: true });
  } catch (err) {
    await remove();
    throw new UserError(`cannot check out ${commit.slice(0, 12)} of ${url}: ${(err as Error).message}`);
  }
  return { dir, remove };
}

/** True for the all-zero SHA GitHub sends as `before` when a branch is first pushed. */
export function isNullRevision(rev: string): boolean {
  return /^0{7,64}$/.test(rev);
}

/** The exit status the changed-files script gives when its `git diff` failed. */
const DIFF_FAILED = 97;

/**
 * Files changed since `since` under `dir`, relative to `dir`: committed changes up to HEAD,
 * uncommitted edits and untracked files (so a laptop run sees what a push would).
 */
export async function changedFilesSince(dir: string, since: string): Promise<string[]> {
  // Both questions from one process: starting a process from Node (a fork of this big one)
  // blocks it longer than either git command takes, so sh asks them one after the other.
  // A lone "/" between the two NUL-separated lists marks where the untracked files begin:
  // git never prints it as a path. Whether `since` names a commit is asked only when the diff fails.
  const script = `git diff --name-only --relative -z --no-renames "$1^{commit}" -- . || exit ${DIFF_FAILED}; printf '/\\0'; exec git ls-files --others --exclude-standard -z -- .`;
  const stderr: string[] = [];
  const result = await exec('sh', ['-c', script, 'sh', since], {
    cwd: dir,
    env: { ...process.env, ...NON_INTERACTIVE },
    onLine: (line, stream) => stream === 'stderr' && stderr.push(line),
  });
  const reason = stderr.find((l) => l.trim() !== '')?.trim() ?? `exit code ${result.exitCode}`;
  if (result.exitCode === DIFF_FAILED) {
    const known = await git(dir, ['rev-parse', '--verify', '--quiet', `${since}^{commit}`]).then(
      () => true,
      () => false,
    );
    if (!known) throw new UserError(`--since ${since}: no such commit in this repository; check the revision, and in GitHub Actions fetch enough history (actions/checkout with fetch-depth: 0)`);
    throw new UserError(`git diff failed: ${reason}`);
  }
  if (result.exitCode !== 0) throw new UserError(`git ls-files failed: ${reason}`);
  const names = result.stdout.split('\0');
  const marker = names.indexOf('/');
  if (marker === -1) throw new UserError(`git diff failed: ${reason}`);
  return [...new Set(names.filter((n, i) => i !== marker && n !== ''))].sort();
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

/** Fetches one commit of `owner/repo` (a branch, a tag or a full SHA) shallowly into `dir` and checks it out; returns the commit. */
export async function fetchRepository(options: FetchRepositoryOptions): Promise<{ commit: string; dir: string }> {
  await mkdir(options.dir, { recursive: true });
  const url = repositoryUrl(options.serverUrl, options.repository);
  const env: NodeJS.ProcessEnv = {};
  if (options.token) {
    // GIT_CONFIG_* keeps the header out of argv and out of the checkout's .git/config.
    const basic = Buffer.from(`x-access-token:${options.token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${options.serverUrl.replace(/\/+$/, '')}/.extraheader`;
    env.GIT_CONFIG_VALUE_0 = `AUTHORIZATION: basic ${basic}`;
  }
  try {
    const commit = await shallowCheckout(options.dir, url, options.ref ?? 'HEAD', { env });
    return { commit, dir: options.dir };
  } catch (err) {
    const reason = (err as Error).message.replace(/^git \S+ failed: /, '').replace(/^fatal: /, '');
    throw new UserError(`fetching ${options.repository}${options.ref ? ` at ${options.ref}` : ''} from ${options.serverUrl} failed: ${reason}`);
  }
}

/** The commit SHA a revision (branch, tag, short SHA) names in a local repository, or undefined. */
export async function resolveCommit(dir: string, revision: string): Promise<string | undefined> {
  try {
    return (await git(dir, ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}
