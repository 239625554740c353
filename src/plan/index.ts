// Validate and plan: the foundation every other command builds on.
import { UsageError, UserError } from '../lib/errors.js';
import { buildGraph, levelsOf, topologicalOrder, type ImageGraph } from '../graph/graph.js';
import { changeReasons } from '../graph/changes.js';
import { contentHash, FileHasher } from '../graph/hash.js';
import { changedFilesSince, isNullRevision } from '../systems/git/index.js';
import { resolveTemplateSources, type TemplateSources } from './sources.js';
import { checkRepo, forgetRealPaths } from '../templates/check.js';
import { loadTemplates, resolveRoot } from '../templates/load.js';
import { formatProblem, sortProblems, type Problem } from '../templates/problems.js';
import { checkQuantity } from '../templates/quantity.js';
import { closest } from '../lib/suggest.js';
import { topologicalOrder as dagOrder } from '../lib/dag.js';
import type { TemplateRepo } from '../templates/types.js';
import type { Plan, PlannedEnvironment, PlannedImage } from './types.js';

export interface ValidateOptions {
  /** Repository prefix for convention-layout images (`images/<name>/Dockerfile`). */
  conventionRegistry?: string;
  /** Known credential names; unknown names are problems only when this is given. */
  credentialNames?: readonly string[];
  /** Build-arg values that override parameter and ARG defaults in every image declaring them. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The branch being built: a FROM naming its branch tag then depends on the template. */
  branch?: string;
}

export interface Validation {
  root: string;
  repo: TemplateRepo;
  graph: ImageGraph;
  problems: Problem[];
}

/** Loads, schema-checks and cross-checks every template, and builds the graph. */
export function validateRepo(dir: string, options: ValidateOptions = {}): Validation {
  return validateRoot(resolveRoot(dir), options);
}

function validateRoot(root: string, options: ValidateOptions): Validation {
  forgetRealPaths();
  const { repo, problems } = loadTemplates(root, options);
  problems.push(...checkRepo(repo, options));
  const { graph, problems: graphProblems } = buildGraph(repo, options.buildArgs, options.branch);
  problems.push(...graphProblems);
  return { root, repo, graph, problems: sortProblems(problems) };
}

export interface PlanOptions extends ValidateOptions {
  /** Build only what changed since this revision (and its descendants). */
  since?: string;
  /** Build only these images (by template name). */
  names?: readonly string[];
  /** Where `sources: [{github: owner/repo}]` live (GitHub Enterprise Server); default https://github.com. */
  githubServer?: string;
  /**
   * A plan for a run that builds nothing (smoke tests): no context is hashed unless asked, and
   * no template source is looked up in its remote (`git ls-remote`), so such a plan has no
   * source commits and no content hash for a template with sources.
   */
  buildsNothing?: boolean;
}

/** The templates are invalid: carries every problem, printed one per line. */
export class InvalidTemplatesError extends UserError {
  constructor(readonly problems: Problem[]) {
    super(`the templates have ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
  }
}

export async function createPlan(dir: string, options: PlanOptions = {}): Promise<Plan> {
  let since = options.since;
  if (since !== undefined && isNullRevision(since)) since = undefined;
  // git answers in its own processes while the templates are read and checked here.
  const root = resolveRoot(dir);
  const changedFiles = since !== undefined ? changedFilesSince(root, since) : undefined;
  changedFiles?.catch(() => undefined); // awaited below, unless validation fails first
  const validation = validateRoot(root, options);
  if (validation.problems.length > 0) throw new InvalidTemplatesError(validation.problems);
  const { repo, graph } = validation;

  const known = [...graph.nodes.keys()];
  for (const name of options.names ?? []) {
    if (!graph.nodes.has(name)) {
      const guess = closest(name, known);
      throw new UsageError(`unknown image '${name}'${guess ? `; did you mean '${guess}'?` : `; known images: ${known.sort().join(', ')}`}`);
    }
  }
  let reasons: Map<string, string[]>;
  if (options.names && options.names.length > 0) {
    // Named images are built whatever changed; the changes, when asked for, still explain.
    const changes = changedFiles ? changeReasons(graph, await changedFiles) : new Map<string, string[]>();
    reasons = new Map(options.names.map((n) => [n, [...(changes.get(n) ?? []), 'named on the command line']]));
  } else if (changedFiles) {
    reasons = changeReasons(graph, await changedFiles);
  } else {
    const why = options.since ? 'first push of this branch: building everything' : 'full build: no --since revision given';
    reasons = new Map(known.map((n) => [n, [why]]));
  }

  const remotes = options.buildsNothing ? new Map<string, TemplateSources>() : await resolveTemplateSources(repo.images, options.githubServer ? { githubServer: options.githubServer } : {});
  const hasher = new FileHasher();
  const images: Record<string, PlannedImage> = {};
  for (const name of topologicalOrder(graph)) {
    const node = graph.nodes.get(name)!;
    const spec = node.template.spec;
    // Hashing a context reads every file in it, with node:crypto and the .dockerignore
    // matchers. An image this run builds is hashed now, as the plan's snapshot; any other
    // only if asked (nightly, the plan's JSON): a run that builds nothing saves about 20 ms.
    let hash = reasons.has(name) && !options.buildsNothing ? contentHash(root, node, hasher, remotes.get(name)) : undefined;
    const unresolvedSources = options.buildsNothing && (spec.source !== undefined || spec.sources.length > 0);
    const image: PlannedImage = {
      name,
      file: node.template.file,
      repository: spec.image,
      tags: spec.tags,
      context: spec.context.replace(/^\.\/(?=.)/, '').replace(/\/+$/, '') || '.',
      dockerfile: node.dockerfile,
      parents: node.parents,
      from: node.from,
      externalBases: node.externalBases,
      notes: node.notes,
      buildArgs: node.buildArgs,
      smoke: spec.smoke.map(({ name: n, run, timeout }) => ({ name: n, run, ...(timeout !== undefined ? { timeout } : {}) })),
      reasons: reasons.get(name) ?? [],
      selected: reasons.has(name),
      get contentHash() {
        if (unresolvedSources) throw new Error(`${name}: no content hash in a plan made for a run that builds nothing (its sources were not looked up)`);
        return (hash ??= contentHash(root, node, hasher, remotes.get(name)));
      },
    };
    const remote = remotes.get(name);
    if (remote?.source) image.source = remote.source;
    if (remote?.sources.length) image.sources = remote.sources;
    if (spec.credentials) image.credentials = spec.credentials;
    if (spec.minimums) image.minimums = spec.minimums;
    if (spec.resources) image.resources = normalizedResources(spec.resources);
    images[name] = image;
  }
  const order = topologicalOrder(graph, new Set(Object.keys(images).filter((n) => images[n]!.selected)));
  const environments: Record<string, PlannedEnvironment> = {};
  for (const env of repo.environments) {
    environments[env.name] = {
      name: env.name,
      file: env.file,
      containers: env.containers.map((c) => {
        const template = c.github === undefined && c.image !== undefined && graph.nodes.has(c.image) ? c.image : undefined;
        return { name: c.name, image: c.image ?? c.devcontainer ?? '', primary: c.primary === true || env.containers.length === 1, ...(template ? { template } : {}) };
      }),
    };
  }
  const plan: Plan = { root, order, levels: levelsOf(graph, order), images, environments };
  if (since !== undefined) plan.since = since;
  return plan;
}

/**
 * The same plan with only `chosen` images selected, each with the reasons given: for a run that
 * decided from a full plan what to build (the nightly), so the templates are not read, checked
 * and hashed a second time. Unselected images keep their facts; content hashes already taken stay.
 */
export function selectImages(plan: Plan, chosen: ReadonlyMap<string, readonly string[]>): Plan {
  const images: Record<string, PlannedImage> = {};
  for (const [name, image] of Object.entries(plan.images)) {
    // Property descriptors, not a spread: a spread would run the lazy contentHash getter.
    const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(image)) as PlannedImage;
    copy.selected = chosen.has(name);
    copy.reasons = [...(chosen.get(name) ?? [])];
    images[name] = copy;
  }
  const order = dagOrder(Object.values(images).filter((i) => i.selected));
  return { ...plan, images, order, levels: levelsOf({ nodes: new Map(order.map((n) => [n, images[n]!])) }, order) };
}

function normalizedResources(resources: { cpu?: string | number; memory?: string | number }): { cpu?: string; memory?: string } {
  // Quantities were validated already; normalise the forms people write ("4GB" -> "4Gi").
  const out: { cpu?: string; memory?: string } = {};
  for (const kind of ['cpu', 'memory'] as const) {
    const v = resources[kind];
    if (v === undefined) continue;
    const q = checkQuantity(kind, v);
    if (q.ok) out[kind] = q.value;
  }
  return out;
}
