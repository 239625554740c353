// B2: the buildah builder. Builds on the runner (`buildah bud`, vfs storage, chroot isolation)
// and pushes once per repository, reading the digest back with --digestfile; the other tags of
// that repository get the same manifest through the registry client (no blob traffic). Smoke
// tests run all of the template's commands in one working container made from the pushed image,
// through one `buildah run` of a small script that keeps each command's exit code, output and
// timeout. The argv and the script are built by pure functions (also printed by `build
// --dry-run`); src/systems/buildah runs them. Nothing is removed per image: the run's private
// storage goes as a whole in cleanup().
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Buildah, ExecAbortedError, type BuildahSettings } from '../../systems/buildah/index.js';
import { SMOKE_TIMEOUT_EXIT_CODE, type Builder, type BuildRequest, type BuildResult, type SmokeRequest, type SmokeResult } from '../types.js';
import { parseReference } from '../../systems/registry/reference.js';
import type { RegistryClient } from '../../systems/registry/client.js';
import { createRegistryClient } from '../../systems/registry/setup.js';
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
  await new Buildah({ ...settings, storageDir: dir }).removeStorage();
  return true;
}

/**
 * `buildah bud`: the Dockerfile from a file, build args and labels in a stable order,
 * TLS verification off only when the build pulls from an insecure registry.
 */
export function budArgs(request: BuildRequest, files: BuildahFiles, localName: string, isolation = 'chroot'): string[] {
  const pullsInsecure = mentionsInsecure(request.dockerfile, request.insecureRegistries) || Object.values(request.buildArgs).some((v) => mentionsInsecure(v, request.insecureRegistries));
  const args = ['bud', '--isolation', isolation, '--format', 'docker', '--file', files.dockerfile, '--tag', localName];
  if (request.layers) args.push('--layers');
  for (const key of Object.keys(request.buildArgs).sort()) args.push('--build-arg', `${key}=${request.buildArgs[key]}`);
  for (const key of Object.keys(request.labels).sort()) args.push('--label', `${key}=${request.labels[key]}`);
  if (pullsInsecure) args.push('--tls-verify=false');
  if (files.authFile) args.push('--authfile', files.authFile);
  args.push(request.contextDir);
  return args;
}

/**
 * Which destinations `buildah push` uploads (the first of each repository) and which only get
 * the pushed manifest under another tag of the same repository.
 */
export function splitDestinations(destinations: readonly string[]): { push: string[]; retag: { from: string; to: string }[] } {
  const firstOf = new Map<string, string>();
  const push: string[] = [];
  const retag: { from: string; to: string }[] = [];
  for (const destination of destinations) {
    const ref = parseReference(destination);
    const key = `${ref.registry}/${ref.repository}`;
    const first = firstOf.get(key);
    if (first === undefined) {
      firstOf.set(key, destination);
      push.push(destination);
    } else retag.push({ from: first, to: destination });
  }
  return { push, retag };
}

/** One `buildah push` per destination given, each writing the pushed manifest digest to a file. */
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

function shellSingleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The script that runs smoke commands one after the other in one container: each through its
 * own `/bin/sh -c` (as `buildah run` of that command would), output merged, framed by marker
 * lines carrying its index and exit code. `marker` is random per run, so no output can fake it.
 * The script exits with the last command's code, so that one is known even if buildah loses
 * the end of the output.
 */
export function smokeScript(commands: readonly { run: string }[], marker: string, firstIndex = 0): string {
  const lines = [`__bi_mark() { printf '\\n%s %s\\n' ${shellSingleQuote(marker)} "$*"; }`];
  commands.forEach((c, i) => {
    lines.push(`__bi_mark start ${firstIndex + i}; /bin/sh -c ${shellSingleQuote(c.run)} </dev/null 2>&1; __bi_status=$?; __bi_mark end ${firstIndex + i} $__bi_status`);
  });
  lines.push('exit $__bi_status');
  return lines.join('\n');
}

/** What a smoke script's output line is: a command's output, or a marker starting or ending command `index`. */
export function parseSmokeLine(line: string, marker: string): { kind: 'output'; text: string } | { kind: 'start'; index: number } | { kind: 'end'; index: number; exitCode: number } {
  if (!line.startsWith(`${marker} `)) return { kind: 'output', text: line };
  const [what, index, code] = line.slice(marker.length + 1).split(' ');
  if (what === 'start' && index !== undefined) return { kind: 'start', index: Number(index) };
  if (what === 'end' && index !== undefined && code !== undefined) return { kind: 'end', index: Number(index), exitCode: Number(code) };
  return { kind: 'output', text: line };
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
  private readonly clients = new Map<string, RegistryClient>();

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

  /** A registry client with the same logins as the auth file buildah gets, one per credential name. */
  private registryClient(credentials: string | undefined, insecure: readonly string[]): RegistryClient {
    const key = `${credentials ?? ''}\0${[...insecure].sort().join(',')}`;
    let client = this.clients.get(key);
    if (!client) {
      const logins = loginsFor(this.options.credentials, credentials);
      client = createRegistryClient({ insecure, ...(logins ? { dockerConfig: logins } : {}) });
      this.clients.set(key, client);
    }
    return client;
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const started = Date.now();
    if (request.destinations.length === 0) throw new UserError(`${request.name}: nothing to push (no destinations)`);
    const signal = withTimeout(request.signal, request.timeoutMs);
    const { dir, files } = await this.workDir(request.dockerfile, request.credentials);
    // No `rmi` afterwards: children pull the image by digest into this same storage, and the
    // whole storage directory is removed in cleanup().
    const localName = localImageName(request.name, randomBytes(6).toString('hex'));
    const exec = { signal, onLine: (line: string) => request.log(line) };
    try {
      await this.buildah.run(`building ${request.name}`, budArgs(request, files, localName, this.buildah.isolation), exec);
      const { push, retag } = splitDestinations(request.destinations);
      let digest: string | undefined;
      for (const [index, args] of pushArgs({ ...request, destinations: push }, files, localName).entries()) {
        const destination = push[index]!;
        await this.buildah.run(`pushing ${destination}`, args, exec);
        const pushed = (await readFile(files.digestFile(index), 'utf8')).trim();
        if (digest !== undefined && pushed !== digest) {
          throw new UserError(`pushing ${destination} gave digest ${pushed}, but ${push[0]} got ${digest}`);
        }
        digest = pushed;
        request.log(`pushed ${destination} (${pushed})`);
      }
      if (retag.length > 0) {
        // The same manifest bytes under the other tags: the blobs are there already.
        const client = this.registryClient(request.credentials, request.insecureRegistries);
        const manifests = new Map<string, Awaited<ReturnType<RegistryClient['requireManifest']>>>();
        for (const { from, to } of retag) {
          signal?.throwIfAborted();
          const source = parseReference(from);
          const repo = { registry: source.registry, repository: source.repository };
          let manifest = manifests.get(from);
          if (!manifest) manifests.set(from, (manifest = await client.requireManifest(repo, digest!)));
          await client.putManifest(repo, parseReference(to).tag!, manifest);
          request.log(`tagged ${to} (${digest})`);
        }
      }
      return { digest: digest!, durationMs: Date.now() - started };
    } catch (err) {
      throw this.explain(err, request.name, request.timeoutMs, request.signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async smoke(request: SmokeRequest): Promise<SmokeResult[]> {
    if (request.commands.length === 0) return [];
    const { dir, files } = await this.workDir(undefined, request.credentials);
    const container = smokeContainerName(request.name, randomBytes(4).toString('hex'));
    const results: SmokeResult[] = [];
    try {
      await this.buildah.run(`starting a container from ${request.image}`, fromArgs(request, container, files.authFile), { signal: request.signal });
      // Normally one `buildah run` for all commands; a command that times out is killed with
      // its run, and the commands after it go on in a new run in the same container.
      while (results.length < request.commands.length) results.push(...(await this.smokeRun(request, container, results.length)));
      return results;
    } catch (err) {
      throw this.explain(err, request.name, undefined, request.signal);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await this.buildah.remove('rm', [container]);
    }
  }

  /** One `buildah run` of the smoke script from command `first` on; returns at least one result. */
  private async smokeRun(request: SmokeRequest, container: string, first: number): Promise<SmokeResult[]> {
    const marker = `::build-image-smoke-${randomBytes(8).toString('hex')}::`;
    const commands = request.commands.slice(first);
    const results: SmokeResult[] = [];
    const kill = new AbortController();
    let current: { index: number; started: number; output: string[]; timer?: NodeJS.Timeout } | undefined;
    let timedOut: { index: number; seconds: number } | undefined;
    let heldBlank = false; // a marker line is preceded by a blank line the script adds
    const output = (text: string): void => {
      if (!current) return; // nothing of the script's own prints outside a command
      current.output.push(text);
      request.log(text);
    };
    const finish = (exitCode: number, note?: string): void => {
      const c = current!;
      clearTimeout(c.timer);
      const command = request.commands[c.index]!;
      if (note) c.output.push(note);
      results.push({ name: command.name, passed: exitCode === 0, exitCode, output: c.output.slice(-200).join('\n'), durationMs: Date.now() - c.started });
      request.log(`${command.name}: ${exitCode === 0 ? 'passed' : `failed (exit code ${exitCode})${note ? `: ${note}` : ''}`}`);
      current = undefined;
    };
    const onLine = (line: string): void => {
      if (timedOut) return; // what follows is buildah going down, not the command's output
      const parsed = parseSmokeLine(line, marker);
      if (parsed.kind === 'output') {
        if (heldBlank) output('');
        heldBlank = parsed.text === '';
        if (!heldBlank) output(parsed.text);
        return;
      }
      heldBlank = false;
      if (parsed.kind === 'end' && current?.index === parsed.index) finish(parsed.exitCode);
      else if (parsed.kind === 'start') {
        const command = request.commands[parsed.index]!;
        request.log(`$ ${command.run}`);
        current = { index: parsed.index, started: Date.now(), output: [] };
        if (command.timeout !== undefined) {
          const seconds = command.timeout;
          current.timer = setTimeout(() => {
            timedOut = { index: parsed.index, seconds };
            kill.abort();
          }, seconds * 1000);
        }
      }
    };
    const signal = request.signal ? AbortSignal.any([request.signal, kill.signal]) : kill.signal;
    const script = smokeScript(commands, marker, first);
    let exitCode: number;
    let tail: string[];
    try {
      const result = await this.buildah.exec(runArgs(container, script, this.buildah.isolation), { signal, tailLines: 20, onLine });
      exitCode = result.exitCode;
      tail = result.tail;
    } catch (err) {
      if (current) clearTimeout(current.timer);
      if (!(err instanceof ExecAbortedError) || request.signal?.aborted || !timedOut || !current) throw err;
      finish(SMOKE_TIMEOUT_EXIT_CODE, `timed out after ${timedOut.seconds} s`);
      return results;
    }
    if (current?.index === request.commands.length - 1 && exitCode !== 125) {
      // The last command's end marker was lost (buildah may drop the output's end); the
      // script's exit code is that command's (125: buildah could not run the container at all).
      request.log(`(no end marker from buildah; exit code ${exitCode} is the command's)`);
      finish(exitCode);
    } else if (current) {
      const words = tail.filter((l) => l.trim() !== '' && !l.startsWith(marker)).slice(-5);
      finish(exitCode !== 0 ? exitCode : 1, `buildah run ended (exit code ${exitCode}) during this command${words.length ? `: ${words.join(' / ')}` : ''}`);
    } else if (results.length === 0) {
      // The script never started (no /bin/sh in the image, buildah could not run it): the first
      // command fails with buildah's exit code and words, as a `buildah run` of it would have.
      const command = request.commands[first]!;
      const words = tail.filter((l) => l.trim() !== '' && !l.startsWith(marker)).slice(-15);
      results.push({ name: command.name, passed: false, exitCode: exitCode || 1, output: words.join('\n'), durationMs: 0 });
      request.log(`${command.name}: failed (exit code ${exitCode || 1})`);
    }
    return results;
  }

  /**
   * Removes the private storage: every container (a build killed mid-step leaves its working
   * container), every image pulled or built, and the directory.
   */
  async cleanup(): Promise<void> {
    if (existsSync(this.storageDir)) await this.buildah.removeStorage();
  }

  /** Cancellation and timeouts in words; other errors pass through. */
  private explain(err: unknown, name: string, timeoutMs: number | undefined, signal: AbortSignal | undefined): unknown {
    if (!(err instanceof ExecAbortedError)) return err;
    if (signal?.aborted) return new UserError(`${name}: cancelled`);
    if (timeoutMs !== undefined) return new UserError(`${name}: timed out after ${Math.round(timeoutMs / 1000)} s`);
    return new UserError(`${name}: ${describeError(err)}`);
  }
}
