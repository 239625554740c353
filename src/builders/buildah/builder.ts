// B2: the buildah builder. Builds on the runner (`buildah bud`, vfs storage, chroot isolation)
// and pushes each destination, reading the digest back with --digestfile. Smoke tests run the
// template's commands in a working container made from the pushed image. The argv is built by
// pure functions (also printed by `build --dry-run`); src/systems/buildah runs it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Buildah, ExecAbortedError, type BuildahSettings } from '../../systems/buildah/index.js';
import type { Builder, BuildRequest, BuildResult, SmokeRequest, SmokeResult } from '../types.js';
import { parseReference } from '../../systems/registry/reference.js';
import { requireCredentials, toDockerConfigJson, type CredentialSources, type RegistryLogin } from '../../systems/registry/credentials.js';
import { UserError, describeError } from '../../lib/errors.js';

export interface BuildahBuilderOptions {
  /** Buildah settings (binary, storage driver, isolation); the storage directory is the builder's own. */
  buildah?: Omit<BuildahSettings, 'storageDir'>;
  /** Named credentials (the action's `credentials` input) and docker config logins. */
  credentials?: CredentialSources;
  /** Where temporary Dockerfiles and auth files go; default the OS temp dir. */
  tmpDir?: string;
  /** Names the private storage directory, so a post step can find what a killed run left (cleanupRun). */
  runId?: string;
}

/** Files a build uses; real paths when building, placeholders in a dry run. */
export interface BuildahFiles {
  dockerfile: string;
  authFile?: string;
  digestFile(index: number): string;
}

function hostOf(reference: string): string {
  return parseReference(reference).registry;
}

/** True when `text` mentions one of the insecure registries (a pinned FROM or a build arg). */
function mentionsInsecure(text: string, insecure: readonly string[]): boolean {
  return insecure.some((host) => text.includes(`${host}/`));
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
}

/** The local name a build is committed under before it is pushed. */
export function localImageName(name: string, nonce: string): string {
  return `localhost/build-image/${slug(name)}:${nonce}`;
}

/** Working container name for a smoke test. */
export function smokeContainerName(name: string, nonce: string): string {
  return `bi-smoke-${slug(name)}-${nonce}`;
}

/** The private buildah storage of a run: `<tmp>/build-image-<run id>`. */
export function storageDirFor(runId: string, tmp = tmpdir()): string {
  return join(tmp, `build-image-${slug(runId)}`);
}

/**
 * Removes the private storage a run used: its containers and images, then the directory.
 * The builder does this itself; a post step calls it for a run that was killed first.
 */
export async function cleanupRun(runId: string, settings: Omit<BuildahSettings, 'storageDir'> = {}, tmp?: string): Promise<boolean> {
  const dir = storageDirFor(runId, tmp);
  if (!existsSync(dir)) return false;
  await new Buildah({ ...settings, storageDir: dir }).removeEverything();
  await rm(dir, { recursive: true, force: true });
  return true;
}

/**
 * `buildah bud`: the Dockerfile from a file, build args and labels in a stable order,
 * TLS verification off only when the build pulls from an insecure registry.
 */
export function budArgs(request: BuildRequest, files: BuildahFiles, localName: string, isolation = 'chroot'): string[] {
  const pullsInsecure =
    mentionsInsecure(request.dockerfile, request.insecureRegistries) ||
    Object.values(request.buildArgs).some((v) => mentionsInsecure(v, request.insecureRegistries));
  const args = ['bud', '--isolation', isolation, '--format', 'docker', '--file', files.dockerfile, '--tag', localName];
  if (request.layers) args.push('--layers');
  for (const key of Object.keys(request.buildArgs).sort()) args.push('--build-arg', `${key}=${request.buildArgs[key]}`);
  for (const key of Object.keys(request.labels).sort()) args.push('--label', `${key}=${request.labels[key]}`);
  if (pullsInsecure) args.push('--tls-verify=false');
  if (files.authFile) args.push('--authfile', files.authFile);
  args.push(request.contextDir);
  return args;
}

/** One `buildah push` per destination, each writing the pushed manifest digest to a file. */
export function pushArgs(request: Pick<BuildRequest, 'destinations' | 'insecureRegistries'>, files: BuildahFiles, localName: string): string[][] {
  return request.destinations.map((destination, index) => {
    const args = ['push', '--format', 'v2s2', '--digestfile', files.digestFile(index)];
    if (request.insecureRegistries.includes(hostOf(destination))) args.push('--tls-verify=false');
    if (files.authFile) args.push('--authfile', files.authFile);
    args.push(localName, `docker://${destination}`);
    return args;
  });
}

/** `buildah from` for a smoke test: a working container from the pinned image. */
export function fromArgs(request: Pick<SmokeRequest, 'image' | 'insecureRegistries'>, containerName: string, authFile?: string): string[] {
  const args = ['from', '--pull', '--name', containerName];
  if (request.insecureRegistries.includes(hostOf(request.image))) args.push('--tls-verify=false');
  if (authFile) args.push('--authfile', authFile);
  args.push(request.image);
  return args;
}

/** `buildah run`: one smoke command through the image's /bin/sh, as the image's user. */
export function runArgs(containerName: string, command: string, isolation = 'chroot'): string[] {
  return ['run', '--isolation', isolation, containerName, '--', '/bin/sh', '-c', command];
}

/**
 * The logins for an auth file: every named credential (so private bases can be pulled),
 * with the request's own credential taking its registry. Undefined when there are none.
 */
export function loginsFor(credentials: CredentialSources | undefined, name: string | undefined): RegistryLogin[] | undefined {
  const named: readonly RegistryLogin[] = credentials?.named ?? [];
  if (name !== undefined) {
    const own = requireCredentials(name, { named: credentials?.named ?? [] });
    return [own, ...named.filter((c) => c.registry !== own.registry), ...(credentials?.dockerConfig ?? []).filter((c) => c.registry !== own.registry)];
  }
  const logins = [...named];
  for (const login of credentials?.dockerConfig ?? []) if (!logins.some((l) => l.registry === login.registry)) logins.push(login);
  return logins.length > 0 ? logins : undefined;
}

/** An AbortSignal that fires on the caller's signal or after the timeout. */
function withTimeout(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const signals = [signal, timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
  return signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
}

export class BuildahBuilder implements Builder {
  readonly kind = 'buildah' as const;
  /** Buildah on this builder's private storage: cleanup() removes the whole directory. */
  private readonly buildah: Buildah;
  readonly storageDir: string;

  constructor(private readonly options: BuildahBuilderOptions = {}) {
    const runId = options.runId ?? `local-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.storageDir = storageDirFor(runId, options.tmpDir);
    this.buildah = new Buildah({ ...options.buildah, storageDir: this.storageDir });
  }

  /** A private temp dir with the Dockerfile and, when there are logins, an auth file (0600). */
  private async workDir(dockerfile: string | undefined, credentials: string | undefined): Promise<{ dir: string; files: BuildahFiles }> {
    await mkdir(this.storageDir, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(this.storageDir, 'work-'));
    const files: BuildahFiles = { dockerfile: join(dir, 'Dockerfile'), digestFile: (i) => join(dir, `digest-${i}`) };
    try {
      if (dockerfile !== undefined) await writeFile(files.dockerfile, dockerfile);
      const logins = loginsFor(this.options.credentials, credentials);
      if (logins) {
        files.authFile = join(dir, 'auth.json');
        await writeFile(files.authFile, toDockerConfigJson(logins), { mode: 0o600 });
      }
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return { dir, files };
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const started = Date.now();
    if (request.destinations.length === 0) throw new UserError(`${request.name}: nothing to push (no destinations)`);
    const signal = withTimeout(request.signal, request.timeoutMs);
    const { dir, files } = await this.workDir(request.dockerfile, request.credentials);
    const localName = localImageName(request.name, randomBytes(6).toString('hex'));
    const exec = { signal, onLine: (line: string) => request.log(line) };
    try {
      await this.buildah.run(`building ${request.name}`, budArgs(request, files, localName, this.buildah.isolation), exec);
      let digest: string | undefined;
      for (const [index, args] of pushArgs(request, files, localName).entries()) {
        const destination = request.destinations[index]!;
        await this.buildah.run(`pushing ${destination}`, args, exec);
        const pushed = (await readFile(files.digestFile(index), 'utf8')).trim();
        if (digest !== undefined && pushed !== digest) {
          throw new UserError(`pushing ${destination} gave digest ${pushed}, but ${request.destinations[0]} got ${digest}`);
        }
        digest = pushed;
        request.log(`pushed ${destination} (${pushed})`);
      }
      return { digest: digest!, durationMs: Date.now() - started };
    } catch (err) {
      throw this.explain(err, request.name, request.timeoutMs, request.signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
      // Pushed: children pull it by digest (into this storage, once), so the local name can go now.
      await this.buildah.remove('rmi', [localName]);
    }
  }

  async smoke(request: SmokeRequest): Promise<SmokeResult[]> {
    if (request.commands.length === 0) return [];
    const { dir, files } = await this.workDir(undefined, request.credentials);
    const container = smokeContainerName(request.name, randomBytes(4).toString('hex'));
    const results: SmokeResult[] = [];
    try {
      await this.buildah.run(`starting a container from ${request.image}`, fromArgs(request, container, files.authFile), { signal: request.signal });
      for (const command of request.commands) {
        const started = Date.now();
        const output: string[] = [];
        request.log(`$ ${command.run}`);
        const result = await this.buildah.exec(runArgs(container, command.run, this.buildah.isolation), {
          signal: request.signal,
          tailLines: 200,
          onLine: (line) => {
            output.push(line);
            request.log(line);
          },
        });
        results.push({
          name: command.name,
          passed: result.exitCode === 0,
          exitCode: result.exitCode,
          output: output.slice(-200).join('\n'),
          durationMs: Date.now() - started,
        });
        request.log(`${command.name}: ${result.exitCode === 0 ? 'passed' : `failed (exit code ${result.exitCode})`}`);
      }
      return results;
    } catch (err) {
      throw this.explain(err, request.name, undefined, request.signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await this.buildah.remove('rm', [container]);
    }
  }

  /**
   * Removes the private storage: every container (a build killed mid-step leaves its working
   * container), every image pulled or built, then the directory.
   */
  async cleanup(): Promise<void> {
    if (!existsSync(this.storageDir)) return;
    await this.buildah.removeEverything();
    await rm(this.storageDir, { recursive: true, force: true });
  }

  /** Cancellation and timeouts in words; other errors pass through. */
  private explain(err: unknown, name: string, timeoutMs: number | undefined, signal: AbortSignal | undefined): unknown {
    if (!(err instanceof ExecAbortedError)) return err;
    if (signal?.aborted) return new UserError(`${name}: cancelled`);
    if (timeoutMs !== undefined) return new UserError(`${name}: timed out after ${Math.round(timeoutMs / 1000)} s`);
    return new UserError(`${name}: ${describeError(err)}`);
  }
}
