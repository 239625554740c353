import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, UserError, describeError } from '../lib/errors.js';
import type { BuildOrigin } from '../pipeline/tags.js';
import { defaultDockerConfigPath, loadDockerConfig, parseNamedCredentials, type CredentialSources } from '../systems/registry/credentials.js';
import { currentBranch, hasUncommittedChanges, headCommit } from '../systems/git/index.js';
import { parseReference } from '../systems/registry/reference.js';

/** Where a command writes; tests pass buffers, the CLI passes the process streams. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  /** One line for `build-image --help`. */
  summary: string;
  /** The full `--help` text of the command. */
  help: string;
  /** Returns the exit code: 0 success, 1 failure found, 2 usage error. */
  run(args: string[], io: CliIO): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with the errors turned into usage errors that name the command.
 * `--help` is answered by the dispatcher (src/cli/main.ts) before a command runs.
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({
      args,
      options,
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    // parseArgs' errors come from Node's realm: under jest `instanceof Error` does not hold.
    const raw = err !== null && typeof err === 'object' && 'message' in err ? String((err as { message: unknown }).message) : String(err);
    const message = raw.replace(/\. To specify a positional.*$/s, '');
    throw new UsageError(`${command}: ${message}\nRun 'build-image ${command} --help' for usage.`);
  }
}

/** Validates a `--format` value against the allowed ones. */
export function oneOf<T extends string>(command: string, flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${command}: --${flag} must be one of ${allowed.join(', ')}, not '${value}'`);
}

/** `--build-arg NAME=VALUE` flags (repeatable) as a record. */
export function parseBuildArgs(command: string, values: string[] | undefined): Record<string, string> {
  const args: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`${command}: --build-arg expects NAME=VALUE, got '${item}'`);
    args[name] = item.slice(eq + 1);
  }
  return args;
}

/** A `--flag N` that must be a whole number of at least 1; `fallback` when not given. */
export function positiveInteger(command: string, flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${command}: --${flag} must be a whole number of at least 1, not '${text}'`);
  return n;
}

/** Registry logins: the docker config, plus the named credentials of `--credentials FILE`. */
export function credentialsFrom(command: string, file: string | undefined, io: Pick<CliIO, 'cwd' | 'env'>): CredentialSources {
  const sources: CredentialSources = { dockerConfig: loadDockerConfig(defaultDockerConfigPath(io.env), { optional: true }) };
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, file), 'utf8');
    } catch (err) {
      throw new UserError(`${command}: cannot read --credentials ${file}: ${describeError(err)}`);
    }
    sources.named = parseNamedCredentials(text);
  }
  return sources;
}

/** `--insecure` applies to the `--registry` host (its port included), so it needs one. */
export function insecureRegistriesFrom(command: string, values: { registry?: string; insecure?: boolean }): string[] {
  if (!values.insecure) return [];
  if (!values.registry) throw new UsageError(`${command}: --insecure needs --registry (the registry it applies to)`);
  return [parseReference(`${values.registry.replace(/\/+$/, '')}/x`).registry];
}

/**
 * The commit and branch a local build records. An image built from edits that are not committed
 * is not that commit's image: it gets no commit tag or revision label.
 */
export async function workingTreeOrigin(command: string, dir: string, io: Pick<CliIO, 'err'>, what = 'the images get'): Promise<BuildOrigin> {
  // Three independent questions: asked at once.
  const [head, dirty, branch] = await Promise.all([headCommit(dir), hasUncommittedChanges(dir), currentBranch(dir)]);
  let commit = head;
  if (commit && dirty) {
    io.err(`${command}: uncommitted changes under ${dir}: ${what} no commit tag or revision label\n`);
    commit = undefined;
  }
  return { ...(commit ? { commit } : {}), ...(branch ? { branch } : {}), created: new Date().toISOString() };
}
