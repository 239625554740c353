// A tiny subprocess wrapper (after docker/actions-toolkit's Exec): argv arrays, never a shell
// string; output streamed line by line to a callback; an AbortSignal kills the process.
import { UserError } from '../../lib/errors.js';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each complete output line, as it arrives (stdout and stderr alike). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  input?: string;
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL once the signal aborts. */
  killGraceMs?: number;
  /** How many trailing output lines to keep for error messages. */
  tailLines?: number;
}

export interface ExecResult {
  exitCode: number;
  /** All of stdout (capped at 16 MiB). */
  stdout: string;
  /** The last lines of stdout and stderr, interleaved as they came. */
  tail: string[];
}

const MAX_STDOUT = 16 * 1024 * 1024;

/** Thrown when the signal aborted the command; carries the signal's reason. */
export class ExecAbortedError extends Error {
  constructor(command: string) {
    super(`${command} was cancelled`);
    this.name = 'AbortError';
  }
}

/** Runs `command` with `args`; resolves with the exit code (non-zero is not an error here). */
export function exec(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new ExecAbortedError(command));
  return new Promise<ExecResult>((resolve, reject) => {
    // node:child_process (and node:net, for its pipes) loads here, not at start: about 10 ms
    // that a run which starts no process never pays. Its own process group, so cancelling
    // kills what the command started too (a RUN step's processes would otherwise hold the
    // output pipes open until they finish).
    const child = process.getBuiltinModule('node:child_process').spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      // No stdin pipe unless there is input: /dev/null reads as empty too, and a pipe costs a
      // socket to create and close.
      stdio: [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const tail: string[] = [];
    const keep = options.tailLines ?? 40;
    let stdout = '';
    let killTimer: NodeJS.Timeout | undefined;
    let aborted = false;

    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal); // the group is gone already
      }
    };
    const onAbort = (): void => {
      aborted = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 5000);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const lines = (stream: 'stdout' | 'stderr') => {
      let partial = '';
      return {
        push(chunk: string): void {
          const parts = (partial + chunk).split('\n');
          partial = parts.pop()!;
          for (const raw of parts) emit(raw, stream);
        },
        flush(): void {
          if (partial !== '') emit(partial, stream);
          partial = '';
        },
      };
    };
    const emit = (raw: string, stream: 'stdout' | 'stderr'): void => {
      const line = raw.replace(/\r$/, '');
      tail.push(line);
      if (tail.length > keep) tail.shift();
      options.onLine?.(line, stream);
    };
    const out = lines('stdout');
    const err = lines('stderr');
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_STDOUT) stdout += chunk;
      out.push(chunk);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined); // the command may exit without reading stdin
      child.stdin!.end(options.input);
    }

    child.once('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') reject(new UserError(`${command} is not installed (not found on PATH)`));
      else reject(new UserError(`cannot run ${command}: ${error.message}`));
    });
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      out.flush();
      err.flush();
      if (aborted) reject(new ExecAbortedError(command));
      else resolve({ exitCode: code ?? (killedBy ? 128 : 1), stdout, tail });
    });
  });
}
