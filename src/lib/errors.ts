// One failure policy for the CLI and the actions: errors meant for people carry their own
// message and exit code; anything else is reported as an internal error, still without a stack.

/** An error whose message is written for the person running the tool. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
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
  if (err instanceof UserError) return err.message;
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
  return err instanceof UserError ? err.exitCode : 1;
}
