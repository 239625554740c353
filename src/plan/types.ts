// The plan: what the foundation hands to the builders. Pure data, JSON-serialisable.

export interface SmokeCommand {
  name: string;
  run: string;
  /** Seconds before the test is failed (the template's `timeout`); none: no limit of its own. */
  timeout?: number;
}

export interface Resources {
  /** Kubernetes quantities, normalised (e.g. "2", "500m", "4Gi"). */
  cpu?: string;
  memory?: string;
}

/** One FROM line of an image's Dockerfile, as the graph resolved it. */
export interface PlannedFrom {
  /** 1-based line of the FROM instruction in the Dockerfile. */
  line: number;
  /** The reference after ARG/parameter substitution, as written (e.g. "ghcr.io/acme/base:centos"). */
  ref: string;
  /** The template this FROM resolves to, when it is built here. */
  parent?: string;
  /** The ARG whose value supplies the whole reference (`FROM ${BASE}`), if any. */
  viaArg?: string;
}

/** A git repository at the commit one of its refs points at now. */
export interface ResolvedSource {
  /** Clone URL (`github: owner/repo` becomes `https://github.com/owner/repo.git`). */
  url: string;
  /** Branch or tag as written; absent for the default branch. */
  ref?: string;
  /** Full commit SHA. */
  commit: string;
}

export interface PlannedImage {
  name: string;
  /** Template file relative to the repo root (the Dockerfile for the convention layout). */
  file: string;
  /** Repository this template publishes, as written (e.g. "ghcr.io/acme/base"). */
  repository: string;
  /** Fixed tags of the template (variants); branch, commit and `test` are added by the build. */
  tags: string[];
  /** Build context directory relative to the repo root ("." for the root). */
  context: string;
  /** Dockerfile path relative to the repo root. */
  dockerfile: string;
  /** Template names this image builds on, parents first in no particular order. */
  parents: string[];
  /** FROM lines, with the parent template where one matched. */
  from: PlannedFrom[];
  /** Images not built here that the Dockerfile builds on (pulled from the registry as they are). */
  externalBases: string[];
  /** Notes for people, one per outside base: `line 1: uses X from the registry; not built here`. */
  notes?: string[];
  /** Parameter values (defaults and overrides) that become --build-arg. */
  buildArgs: Record<string, string>;
  credentials?: string;
  smoke: SmokeCommand[];
  minimums?: 'coder';
  resources?: Resources;
  /** Why this image is (re)built; empty when change detection found nothing. */
  reasons: string[];
  /** Whether the image is selected for building (changed, or no --since given). */
  selected: boolean;
  /**
   * sha256 over everything that goes into the image except the parents' digests: context
   * files, Dockerfile, build args, template spec. Combine with the parent digests through
   * `combineInputHash` (src/graph/hash.ts) once the parents are built.
   */
  contentHash: string;
  /** spec.source: the build context is `path` of this repository at `commit`, not `context`. */
  source?: ResolvedSource & { path: string };
  /** spec.sources: linked repositories at their current commits (part of the content hash). */
  sources?: ResolvedSource[];
}

export interface PlannedEnvironment {
  name: string;
  file: string;
  /** Image template names (or plain references for sidecars) per container. */
  containers: { name: string; image: string; template?: string; primary: boolean }[];
}

export interface Plan {
  /** Absolute path of the template repo. */
  root: string;
  /** Template names, parents first. */
  order: string[];
  /** Names grouped by depth: level 0 has no parent built here. */
  levels: string[][];
  images: Record<string, PlannedImage>;
  environments: Record<string, PlannedEnvironment>;
  /** The `--since` revision, when change detection ran. */
  since?: string;
}
