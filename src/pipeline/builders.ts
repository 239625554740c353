// Picks the builder the action or CLI asked for, and the dry-run stand-ins that print what
// would run instead of running it.
import { createHash } from 'node:crypto';
import { BuildahBuilder, budArgs, fromArgs, localImageName, pushArgs, runArgs, smokeScript, splitDestinations, type BuildahFiles } from '../builders/buildah/builder.js';
import { Buildah } from '../systems/buildah/index.js';
import type { Builder, BuildRequest, BuildResult, SmokeRequest, SmokeResult } from '../builders/types.js';
import type { KanikoBuilder, KanikoBuilderOptions } from '../builders/kaniko/builder.js';
import type { CredentialSources } from '../systems/registry/credentials.js';
import { stringify } from 'yaml';

export type BuilderKind = 'kaniko' | 'buildah';
export const BUILDER_KINDS: readonly BuilderKind[] = ['kaniko', 'buildah'];

export interface BuilderSettings {
  credentials?: CredentialSources;
  /** kaniko: namespace for build pods and secrets. */
  namespace?: string;
  /** kaniko: kubeconfig path; default in-cluster, then $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /** kaniko: executor image override. */
  executorImage?: string;
  /**
   * Marks everything this run creates (kaniko: a label on pods and secrets; buildah: local
   * image and container names) so the post step can clean up after a cancelled job.
   */
  runId?: string;
  /**
   * Called once, just before the kaniko builder is made (the first build or smoke test): from
   * then on it may create pods and secrets, so the action records what its post step needs.
   */
  onFirstUse?(): void;
}

function kanikoOptions(settings: BuilderSettings): KanikoBuilderOptions {
  return {
    ...(settings.namespace ? { namespace: settings.namespace } : {}),
    ...(settings.kubeconfig ? { kubeconfigPath: settings.kubeconfig } : {}),
    ...(settings.executorImage ? { executorImage: settings.executorImage } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.runId ? { runId: settings.runId } : {}),
  };
}

/** The Kubernetes client is a large module: load it only when kaniko is asked for. */
async function kanikoBuilder(options: KanikoBuilderOptions): Promise<KanikoBuilder> {
  const { KanikoBuilder } = await import('../builders/kaniko/builder.js');
  return new KanikoBuilder(options);
}

/**
 * A builder made on first use. The kaniko builder loads the Kubernetes client (most of the
 * bundle's bytes) and runs an RBAC preflight: a run with nothing to build pays for neither.
 */
class LazyBuilder implements Builder {
  private real: Promise<Builder> | undefined;
  constructor(
    readonly kind: BuilderKind,
    private readonly create: () => Promise<Builder>,
  ) {}

  private get(): Promise<Builder> {
    return (this.real ??= this.create());
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    return (await this.get()).build(request);
  }

  async smoke(request: SmokeRequest): Promise<SmokeResult[]> {
    return (await this.get()).smoke(request);
  }

  async cleanup(): Promise<void> {
    // A builder that failed to come up has nothing to clean; its error was reported by the build.
    const real = await this.real?.catch(() => undefined);
    await real?.cleanup();
  }
}

export async function createBuilder(kind: BuilderKind, settings: BuilderSettings): Promise<Builder> {
  if (kind === 'kaniko') {
    return new LazyBuilder('kaniko', () => {
      settings.onFirstUse?.();
      return kanikoBuilder(kanikoOptions(settings));
    });
  }
  settings.onFirstUse?.();
  return new BuildahBuilder({
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.runId ? { runId: settings.runId } : {}),
  });
}

/** A digest that is obviously not real in a dry run, stable per image name. */
export function placeholderDigest(name: string): string {
  return `sha256:${createHash('sha256').update(`dry-run:${name}`).digest('hex')}`;
}

/** Prints the buildah commands a build would run; builds nothing. */
export class BuildahDryRun implements Builder {
  readonly kind = 'buildah' as const;
  private readonly buildah = new Buildah();
  constructor(private readonly print: (text: string) => void) {}

  private command(args: string[]): string {
    return [this.buildah.command, ...this.buildah.argv(args)].map(shellQuote).join(' ');
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const files: BuildahFiles = {
      dockerfile: `$TMP/${request.name}/Dockerfile`,
      digestFile: (i) => `$TMP/${request.name}/digest-${i}`,
      ...(request.credentials ? { authFile: `$TMP/${request.name}/auth.json` } : {}),
    };
    const local = localImageName(request.name, 'dry-run');
    const { push, retag } = splitDestinations(request.destinations);
    const lines = [
      `# ${request.name}: ${files.dockerfile} holds:`,
      ...request.dockerfile
        .trimEnd()
        .split('\n')
        .map((l) => `#   ${l}`),
      this.command(budArgs(request, files, local, this.buildah.isolation)),
      ...pushArgs({ ...request, destinations: push }, files, local).map((args) => this.command(args)),
      ...retag.map(({ from, to }) => `# tag docker://${from} as docker://${to} (the pushed manifest under another tag; no blobs move)`),
      '',
    ];
    this.print(lines.join('\n'));
    return { digest: placeholderDigest(request.name), durationMs: 0 };
  }

  async smoke(request: SmokeRequest): Promise<SmokeResult[]> {
    const container = `bi-smoke-${request.name}`;
    const lines = [
      `# ${request.name}: smoke tests`,
      this.command(fromArgs(request, container, request.credentials ? '$TMP/auth.json' : undefined)),
      `# one run for all commands, each with its own exit code${request.commands.some((c) => c.timeout !== undefined) ? ' and timeout' : ''}:`,
      this.command(runArgs(container, smokeScript(request.commands, '::marker::'), this.buildah.isolation)),
      this.command(['rm', container]),
      '',
    ];
    this.print(lines.join('\n'));
    return request.commands.map((c) => ({ name: c.name, passed: true, exitCode: 0, output: '', durationMs: 0 }));
  }

  async cleanup(): Promise<void> {}
}

/** POSIX-shell quoting for display only (nothing here is ever run through a shell). */
export function shellQuote(arg: string): string {
  // `$TMP/...` stays bare so the printed placeholder reads as a variable.
  if (/^(\$TMP\/)?[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Prints the Kubernetes objects each kaniko build would create (secrets redacted); creates nothing. */
export class KanikoDryRun implements Builder {
  readonly kind = 'kaniko' as const;
  constructor(
    private readonly print: (text: string) => void,
    private readonly kaniko: KanikoBuilder,
  ) {}

  async build(request: BuildRequest): Promise<BuildResult> {
    const plan = this.kaniko.dryRun(request);
    const lines = [`# ${request.name}: in namespace ${plan.namespace}`, ...plan.steps.map((step, i) => `#   ${i + 1}. ${step}`), ...plan.objects.map((object) => `---\n${stringify(object, { aliasDuplicateObjects: false }).trimEnd()}`), ''];
    this.print(lines.join('\n'));
    return { digest: placeholderDigest(request.name), durationMs: 0 };
  }

  async smoke(request: SmokeRequest): Promise<SmokeResult[]> {
    this.print([`# ${request.name}: one pod per smoke test, running the image ${request.image}`, ...request.commands.map((c) => `#   ${c.name}: sh -c ${shellQuote(c.run)}`), ''].join('\n'));
    return request.commands.map((c) => ({ name: c.name, passed: true, exitCode: 0, output: '', durationMs: 0 }));
  }

  async cleanup(): Promise<void> {}
}

export async function createDryRunBuilder(kind: BuilderKind, print: (text: string) => void, settings: BuilderSettings): Promise<Builder> {
  if (kind === 'kaniko') return new KanikoDryRun(print, await kanikoBuilder({ ...kanikoOptions(settings), preflight: false }));
  return new BuildahDryRun(print);
}
