// The builder interface that the scheduler drives; kaniko (src/builders/kaniko/builder.ts, on Kubernetes)
// and buildah (src/builders/buildah/builder.ts, on the runner) implement it.

export interface BuildRequest {
  /** Template name, used for pod names, log groups and reports. */
  name: string;
  /** Absolute path of the build context on the runner. */
  contextDir: string;
  /** A fixed mtime for every entry of the context as sent (preview builds: the deterministic tar); default the files' own. */
  contextMtime?: Date;
  /** Dockerfile contents to build (already edited: parents pinned by digest). */
  dockerfile: string;
  /** Full references to push, e.g. ["127.0.0.1:5000/acme/base:test", ".../acme/base:abc123"]. */
  destinations: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** One layer per instruction, as kaniko and docker do (buildah `--layers`; otherwise buildah commits one layer). */
  layers?: boolean;
  /** Named registry credentials (see src/systems/registry/credentials.ts). */
  credentials?: string;
  resources?: { cpu?: string; memory?: string };
  /** Registry hosts (host:port) reached over plain HTTP / without TLS verification. */
  insecureRegistries: string[];
  timeoutMs?: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface BuildResult {
  /** Manifest digest of the pushed image, sha256:... */
  digest: string;
  durationMs: number;
}

export interface SmokeRequest {
  name: string;
  /** Image to test, pinned by digest: host/repo@sha256:... */
  image: string;
  /** Each command with its own timeout in seconds (a timed-out command fails, exit code 124). */
  commands: { name: string; run: string; timeout?: number }[];
  insecureRegistries: string[];
  credentials?: string;
  signal?: AbortSignal;
  log: (line: string) => void;
}

/** The exit code of a smoke command its own timeout stopped (as coreutils' `timeout`). */
export const SMOKE_TIMEOUT_EXIT_CODE = 124;

export interface SmokeResult {
  name: string;
  passed: boolean;
  exitCode: number;
  output: string;
  durationMs: number;
}

export interface Builder {
  readonly kind: 'kaniko' | 'buildah';
  build(request: BuildRequest): Promise<BuildResult>;
  smoke(request: SmokeRequest): Promise<SmokeResult[]>;
  /** Removes anything still left (pods, secrets, containers); safe to call twice. */
  cleanup(): Promise<void>;
}
