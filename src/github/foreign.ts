// Output that did not come from this code (build logs, smoke-test output, pod logs, registry
// messages) must never be read by the runner as a workflow command: a Dockerfile's
// `RUN echo "::add-mask::..."` or `::error::` line would otherwise be executed. Foreign lines are
// printed between `::stop-commands::<token>` and `::<token>::`, with a token nobody can guess
// from inside the build. Our own commands (groups, annotations) are only written after the
// window is closed again.
import { randomBytes } from 'node:crypto';
import { EOL } from 'node:os';

export interface ForeignOutput {
  /** Prints foreign text (one or more lines) with workflow commands disabled. */
  print(text: string): void;
  /** Re-enables workflow commands; call before writing any of our own. Idempotent. */
  resume(): void;
  /** Runs `fn` (which writes our own workflow commands) with commands enabled. */
  ours<T>(fn: () => T): T;
}

export function foreignOutput(write: (text: string) => void = (t) => void process.stdout.write(t)): ForeignOutput {
  let token: string | undefined;
  const resume = (): void => {
    if (token === undefined) return;
    write(`::${token}::${EOL}`);
    token = undefined;
  };
  return {
    print(text) {
      if (token === undefined) {
        token = randomBytes(16).toString('hex');
        write(`::stop-commands::${token}${EOL}`);
      }
      // One output line per line of text; a trailing newline adds no empty line.
      write(
        text
          .replace(/\r?\n$/, '')
          .split(/\r?\n|\r/)
          .join(EOL) + EOL,
      );
    },
    resume,
    ours(fn) {
      resume();
      return fn();
    },
  };
}

/** Prints a block of foreign text with commands disabled around it (one window). */
export function printForeign(text: string, write?: (text: string) => void): void {
  const out = foreignOutput(write);
  out.print(text);
  out.resume();
}
