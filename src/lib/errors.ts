// One failure policy for the CLI and the actions: errors meant for people carry their own
// message and exit code; anything else is reported as an internal error, still without a stack.

// Each CLI command is its own bundle, with its own copy of these classes: the CLI's dispatcher
// tells a UserError thrown there by this mark (one symbol per process), not by instanceof.
const USER_ERROR = Symbol.for('build-image.UserError');

/** An error whose message is written for the person running the tool. */
export class UserError extends Error {
  readonly [USER_ERROR] = true;
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A UserError, from this bundle or another one of this tool. */
export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError || (err instanceof Error && (err as Partial<UserError>)[USER_ERROR] === true);
}

/** Bad flags or arguments: exit 2, like most CLIs. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Several independent failures, printed one line per cause. */
export class AggregateUserError extends UserError {
  constructor(
    summary: string,
    readonly causes: readonly Error[],
  ) {
    super([summary, ...causes.map((c) => `  - ${describeError(c)}`)].join('\n'));
    this.name = 'AggregateUserError';
  }
}

/** A one-line (or, for aggregates, one line per cause) description of any thrown value. */
export function describeError(err: unknown): string {
  if (isUserError(err)) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (err as NodeJS.ErrnoException).path) {
      return `no such file or directory: ${(err as NodeJS.ErrnoException).path}`;
    }
    if (code === 'EACCES' && (err as NodeJS.ErrnoException).path) {
      return `permission denied: ${(err as NodeJS.ErrnoException).path}`;
    }
    const cause = err.cause instanceof Error ? ` (${describeError(err.cause)})` : '';
    return `${err.message || err.name}${cause}`;
  }
  return String(err);
}

export function exitCodeOf(err: unknown): number {
  return isUserError(err) ? err.exitCode : 1;
}
