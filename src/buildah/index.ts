// The one module that runs buildah. Every call goes through `Buildah.run`, which adds the
// global flags (storage driver) and turns a non-zero exit into a UserError with the log tail.
import { exec, type ExecOptions, type ExecResult } from './exec.js';
import { UserError } from '../errors.js';

export { exec, ExecAbortedError, type ExecOptions, type ExecResult } from './exec.js';

export interface BuildahSettings {
  /** The buildah binary; default `buildah` on PATH. */
  command?: string;
  /** `--storage-driver`; default vfs, which works everywhere (containers, CI runners, as root). */
  storageDriver?: string;
  /** `--isolation` for bud and run; default chroot (no runc or user namespaces needed). */
  isolation?: string;
}

export class Buildah {
  readonly command: string;
  readonly storageDriver: string;
  readonly isolation: string;

  constructor(settings: BuildahSettings = {}) {
    this.command = settings.command ?? 'buildah';
    this.storageDriver = settings.storageDriver ?? 'vfs';
    this.isolation = settings.isolation ?? 'chroot';
  }

  /** The full argv (after the command) for `args`, with the global flags. */
  argv(args: readonly string[]): string[] {
    return ['--storage-driver', this.storageDriver, ...args];
  }

  /** Runs buildah and returns its result whatever the exit code. */
  exec(args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return exec(this.command, this.argv(args), options);
  }

  /** Runs buildah; a non-zero exit becomes a UserError naming `what` with the output's tail. */
  async run(what: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec(args, options);
    if (result.exitCode !== 0) {
      const tail = result.tail.filter((l) => l.trim() !== '').slice(-15);
      throw new UserError(`${what} failed (buildah exit code ${result.exitCode})${tail.length ? `:\n${tail.map((l) => `    ${l}`).join('\n')}` : ''}`);
    }
    return result;
  }

  /** Best-effort removal of working containers and images; errors are ignored. */
  async remove(kind: 'rm' | 'rmi', names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.exec([kind, ...names]).catch(() => undefined);
  }
}
