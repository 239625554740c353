import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../lib/errors.js';

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
