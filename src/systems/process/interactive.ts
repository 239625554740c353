// A command that talks to the person at the terminal (an editor): the terminal is handed over
// (stdio inherited), and only the exit code comes back.
import { UserError } from '../../lib/errors.js';

/** Runs `command args…` attached to this terminal; resolves with its exit code. */
export function runInteractive(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    // node:child_process (and node:net, for its pipes) loads here, not at start: about 10 ms
    // that a run which starts no process never pays.
    const child = process.getBuiltinModule('node:child_process').spawn(command, args, { stdio: 'inherit', env: options.env ?? process.env, cwd: options.cwd });
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(new UserError(error.code === 'ENOENT' ? `${command} is not installed (not found on PATH)` : `cannot run ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
