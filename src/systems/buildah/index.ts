// The one module that runs buildah. Every call goes through `Buildah.run`, which adds the
// global flags (storage driver and, when given, a private storage root) and turns a non-zero
// exit into a UserError with the log tail.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, type ExecOptions, type ExecResult } from '../process/exec.js';
import { UserError } from '../../lib/errors.js';

export { exec, ExecAbortedError, type ExecOptions, type ExecResult } from '../process/exec.js';

export interface BuildahSettings {
  /** The buildah binary; default `buildah` on PATH. */
  command?: string;
  /** `--storage-driver`; default vfs, which works everywhere (containers, CI runners, as root). */
  storageDriver?: string;
  /** `--isolation` for bud and run; default chroot (no runc or user namespaces needed). */
  isolation?: string;
  /**
   * A private storage directory (`--root <dir>/root --runroot <dir>/run`). Everything a run
   * pulls, builds and starts lives there, so cleanup is removing one directory and nothing
   * touches the machine's own images. Default: buildah's usual storage.
   */
  storageDir?: string;
}

export class Buildah {
  readonly command: string;
  readonly storageDriver: string;
  readonly isolation: string;
  readonly storageDir: string | undefined;

  constructor(settings: BuildahSettings = {}) {
    this.command = settings.command ?? 'buildah';
    this.storageDriver = settings.storageDriver ?? 'vfs';
    this.isolation = settings.isolation ?? 'chroot';
    this.storageDir = settings.storageDir;
  }

  /** The full argv (after the command) for `args`, with the global flags. */
  argv(args: readonly string[]): string[] {
    const storage = this.storageDir ? ['--root', join(this.storageDir, 'root'), '--runroot', join(this.storageDir, 'run')] : [];
    return ['--storage-driver', this.storageDriver, ...storage, ...args];
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

  /** Best-effort removal of working containers or images, one by one; errors are ignored. */
  async remove(kind: 'rm' | 'rmi', names: readonly string[]): Promise<void> {
    for (const name of names) await this.exec([kind, name]).catch(() => undefined);
  }

  /** Removes a private storage: its containers and images (unmounted where the driver mounts them), then the directory. */
  async removeStorage(): Promise<void> {
    if (!this.storageDir) throw new Error('removeStorage is only for a private storage directory');
    // vfs keeps images and containers as plain directories (chroot runs mount nothing that
    // outlives them): removing the directory is enough. Other drivers mount layers: unmount first.
    if (this.storageDriver !== 'vfs') {
      await this.exec(['rm', '--all']).catch(() => undefined);
      await this.exec(['rmi', '--all', '--force']).catch(() => undefined);
    }
    await rm(this.storageDir, { recursive: true, force: true });
  }
}
