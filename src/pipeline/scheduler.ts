// G2, B3, G4: runs a plan's builds with bounded parallelism. Each image starts as soon as its
// own parents are pushed (not level by level); when several are ready, the one with the longest
// remaining critical path goes first. Children are built against the digest their parents just
// produced. A failed build skips the descendants; independent images go on. Images whose input
// hash is already in the registry are reused. Smoke tests are off the critical path: they run
// while the children build, and an image's outcome waits for its own and all its ancestors'
// tests; a child built on a parent whose tests then failed is reported as built on an untested
// parent (and never promoted). No I/O here apart from the Builder and the hooks passed in.
import type { Plan, PlannedImage } from '../plan/types.js';
import type { Builder, BuildRequest, SmokeResult } from '../builders/types.js';
import { pinParents } from '../dockerfile/pin.js';
import { destinationRepository, destinations, imageLabels, type BuildOrigin } from './tags.js';
import { combineInputHash, inputBases, pinnedDigest } from '../graph/hash.js';
import { UserError, describeError } from '../lib/errors.js';
import { topologicalOrder as dagOrder } from '../lib/dag.js';
import { limiter } from '../lib/concurrency.js';

// ---------------------------------------------------------------------------------------------
// The graph runner: any DAG of tasks, bounded parallelism, critical-path priority.

export interface GraphTask {
  name: string;
  /** Names of tasks that must finish first; every one must be in the same task list. */
  parents: readonly string[];
}

export type TaskState<T> = { state: 'done'; value: T } | { state: 'failed'; error: unknown } | { state: 'skipped'; reason: string } | { state: 'cancelled'; reason: string };

export interface GraphRunOptions<T> {
  maxParallel: number;
  /** Estimated duration per task (any unit); missing ones count as 1. */
  estimates?: Readonly<Record<string, number>>;
  signal?: AbortSignal;
  /** Does one task, given its parents' values. */
  run(name: string, parents: Readonly<Record<string, T>>, signal: AbortSignal): Promise<T>;
  /** Called when a task starts and when it settles (any state). */
  onStart?(name: string): void;
  onSettled?(name: string, state: TaskState<T>): void;
}

/**
 * For each task, the longest estimated path from its start to the end of the graph (itself
 * included): the priority that keeps the critical path moving.
 */
export function remainingCriticalPath(tasks: readonly GraphTask[], estimates: Readonly<Record<string, number>> = {}): Map<string, number> {
  const children = childrenOf(tasks);
  const memo = new Map<string, number>();
  // Reverse topological order: a task's children are settled before the task itself.
  for (const name of topologicalOrder(tasks).reverse()) {
    let longest = 0;
    for (const child of children.get(name) ?? []) longest = Math.max(longest, memo.get(child)!);
    memo.set(name, (estimates[name] ?? 1) + longest);
  }
  return memo;
}

function childrenOf(tasks: readonly GraphTask[]): Map<string, string[]> {
  const children = new Map<string, string[]>(tasks.map((t) => [t.name, []]));
  for (const task of tasks) {
    for (const parent of task.parents) {
      const list = children.get(parent);
      if (!list) throw new Error(`task '${task.name}' depends on '${parent}', which is not in the graph`);
      list.push(task.name);
    }
  }
  return children;
}

/** Parents first; throws on a cycle (the plan refuses cycles, so this is a programming error). */
export function topologicalOrder(tasks: readonly GraphTask[]): string[] {
  childrenOf(tasks); // throws on a parent that is not a task
  const order = dagOrder(tasks);
  if (order.length !== tasks.length) throw new Error('the task graph has a cycle');
  return order;
}

/** Runs every task once its parents are done, at most `maxParallel` at a time. */
export async function runGraph<T>(tasks: readonly GraphTask[], options: GraphRunOptions<T>): Promise<Map<string, TaskState<T>>> {
  const { maxParallel } = options;
  if (!Number.isInteger(maxParallel) || maxParallel < 1) throw new UserError(`max-parallel must be a whole number of at least 1, not ${maxParallel}`);
  const children = childrenOf(tasks);
  const priority = remainingCriticalPath(tasks, options.estimates);
  const position = new Map(tasks.map((t, i) => [t.name, i]));
  const parentsOf = new Map(tasks.map((t) => [t.name, t.parents]));
  const waiting = new Map(tasks.map((t) => [t.name, new Set(t.parents)]));
  const results = new Map<string, TaskState<T>>();
  const ready = new Set(tasks.filter((t) => t.parents.length === 0).map((t) => t.name));
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const running = new Set<string>();

  const settle = (name: string, state: TaskState<T>): void => {
    results.set(name, state);
    options.onSettled?.(name, state);
  };

  // Skips every descendant of `name` that has not settled, naming the image that failed.
  const skipDescendants = (name: string, failed: string): void => {
    for (const child of children.get(name)!) {
      if (results.has(child)) continue;
      ready.delete(child);
      settle(child, { state: 'skipped', reason: `'${failed}' failed` });
      skipDescendants(child, failed);
    }
  };

  const pickNext = (): string => {
    let best: string | undefined;
    for (const name of ready) {
      if (best === undefined || priority.get(name)! > priority.get(best)! || (priority.get(name) === priority.get(best) && position.get(name)! < position.get(best)!)) {
        best = name;
      }
    }
    ready.delete(best!);
    return best!;
  };

  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (abort.signal.aborted) {
        for (const task of tasks) {
          if (!results.has(task.name) && !running.has(task.name)) settle(task.name, { state: 'cancelled', reason: 'the run was cancelled before it started' });
        }
        ready.clear();
      }
      while (running.size < maxParallel && ready.size > 0) start(pickNext());
      if (running.size === 0) resolve();
    };
    const start = (name: string): void => {
      running.add(name);
      options.onStart?.(name);
      const parentValues: Record<string, T> = {};
      for (const parent of parentsOf.get(name)!) {
        const state = results.get(parent)!;
        if (state.state === 'done') parentValues[parent] = state.value;
      }
      // Run on the next microtask so a synchronous throw becomes a failed task, not a crash.
      Promise.resolve()
        .then(() => options.run(name, parentValues, abort.signal))
        .then(
          (value) => settle(name, { state: 'done', value }),
          (error: unknown) => settle(name, abort.signal.aborted ? { state: 'cancelled', reason: `cancelled while running (${describeError(error)})` } : { state: 'failed', error }),
        )
        .finally(() => {
          running.delete(name);
          const state = results.get(name)!;
          if (state.state === 'done') {
            for (const child of children.get(name)!) {
              const left = waiting.get(child)!;
              left.delete(name);
              if (left.size === 0 && !results.has(child)) ready.add(child);
            }
          } else if (!abort.signal.aborted) {
            skipDescendants(name, name);
          }
          pump();
        });
    };
    // On cancellation, settle what has not started at once; running tasks see the signal.
    abort.signal.addEventListener('abort', pump, { once: true });
    pump();
  });
  options.signal?.removeEventListener('abort', onOuterAbort);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Image builds on top of the graph runner.

export type ImageStatus = 'built' | 'reused' | 'skipped' | 'failed' | 'cancelled';

export interface ImageOutcome {
  name: string;
  status: ImageStatus;
  /** True when the image was asked for; false when it only ran because a requested image builds on it. */
  requested: boolean;
  /** Repository the image is pushed to (after registry mapping). */
  repository: string;
  /** Tags pushed (built) or pointed at the reused digest. */
  tags: string[];
  digest?: string;
  /** `repository@digest`, the reference children and smoke tests use. */
  reference?: string;
  inputHash?: string;
  /** Build or reuse time; smoke tests have their own. */
  durationMs: number;
  /** Why it was skipped, failed or cancelled. */
  reason?: string;
  smoke?: SmokeResult[];
  /**
   * Ancestors whose smoke tests failed (or could not run) after this image was built on them:
   * the image exists but is built on an untested parent, so it must never be promoted.
   */
  untestedAncestors?: string[];
}

/** The reason given for an image built on an untested parent. */
export function untestedParentReason(ancestors: readonly string[]): string {
  return `built on an untested parent: the smoke tests of ${ancestors.map((a) => `'${a}'`).join(', ')} did not pass`;
}

/** G4 build avoidance behind a small seam (src/avoidance.ts in production, a map in tests). */
export interface BuildAvoidance {
  /** The digest of an image already pushed to `repository` with this input hash, if any. */
  find(image: { name: string; repository: string; inputHash: string }, signal: AbortSignal): Promise<string | undefined>;
  /** Points this run's tags (`repository:tag`) at the reused digest. */
  tag(repository: string, digest: string, tags: readonly string[], signal: AbortSignal): Promise<void>;
}

export interface ScheduleOptions {
  plan: Plan;
  /** Images to build; their ancestors come along (reused when possible). Default: every image. */
  names?: readonly string[];
  builder: Builder;
  maxParallel: number;
  origin: BuildOrigin;
  /** The registry in use (`host[/path]`); see destinationRepository. Default: the templates' own. */
  registry?: string;
  insecureRegistries?: readonly string[];
  avoidance?: BuildAvoidance;
  /**
   * The digest an outside base (`ubuntu:24.04`) points at now, so an upstream update changes
   * the input hash. Without it (or when it returns undefined) the reference itself is hashed.
   */
  baseDigest?(reference: string, signal: AbortSignal): Promise<string | undefined>;
  /** Default: combineInputHash from src/graph/hash.ts. */
  inputHash?(contentHash: string, bases: Readonly<Record<string, string>>): string;
  /** Dockerfile text of an image (the caller reads the file). */
  loadDockerfile(image: PlannedImage): Promise<string>;
  /** Absolute build context directory of an image (fetched first when it comes from another repository). */
  contextDir(image: PlannedImage, signal: AbortSignal): string | Promise<string>;
  /** Estimated build durations for the critical-path priority; default all equal. */
  estimates?: Readonly<Record<string, number>>;
  /**
   * Runs after an image is built or reused, while its children build (at most maxParallel checks
   * at a time). A failed check fails the image; its descendants are still built but reported as
   * built on an untested parent.
   */
  verify?(image: PlannedImage, reference: string, signal: AbortSignal): Promise<{ passed: boolean; results: SmokeResult[] }>;
  timeoutMs?: number;
  signal?: AbortSignal;
  log(name: string, line: string): void;
  onStart?(name: string): void;
  /** The image is pushed (or reused): its children may start; its smoke tests run next. */
  onBuilt?(name: string): void;
  onSettled?(outcome: ImageOutcome): void;
  /** Clock, for tests and the benchmark. */
  now?(): number;
}

interface Built {
  digest: string;
  reference: string;
  inputHash: string;
  status: 'built' | 'reused';
  tags: string[];
  durationMs: number;
}

/** How an image's smoke tests went: passed (or none), failed with results, or could not run. */
type Verdict = { passed: true; results?: SmokeResult[] } | { passed: false; results?: SmokeResult[]; error?: unknown; cancelled?: boolean };

/** `names` plus every ancestor they build on, parents first. */
export function withAncestors(plan: Plan, names: readonly string[]): string[] {
  const wanted = new Set<string>();
  const visit = (name: string): void => {
    if (wanted.has(name)) return;
    if (!plan.images[name]) throw new UserError(`no image named '${name}' in the plan (known: ${Object.keys(plan.images).join(', ') || 'none'})`);
    wanted.add(name);
    for (const parent of plan.images[name]!.parents) visit(parent);
  };
  names.forEach(visit);
  // plan.order lists only the selected images; order every image the plan knows.
  const all = topologicalOrder(Object.values(plan.images).map((i) => ({ name: i.name, parents: i.parents })));
  return all.filter((name) => wanted.has(name));
}

/** Builds (or reuses) the requested images and their ancestors; one outcome per image, plan order. */
export async function scheduleBuilds(options: ScheduleOptions): Promise<ImageOutcome[]> {
  const { plan } = options;
  const now = options.now ?? Date.now;
  const requested = new Set(options.names ?? plan.order);
  const included = withAncestors(plan, [...requested]);
  const tasks = included.map((name) => ({ name, parents: plan.images[name]!.parents }));
  const repositories = new Map(included.map((name) => [name, destinationRepository(plan.images[name]!.repository, options.registry)]));
  const outcomes = new Map<string, ImageOutcome>();
  const started = new Map<string, number>();
  const verdicts = new Map<string, Promise<Verdict>>();
  const smokeSlot = limiter(options.maxParallel);
  const finishing: Promise<void>[] = [];

  const verifyOne = (image: PlannedImage, reference: string, graphSignal: AbortSignal): Promise<Verdict> => {
    const verify = options.verify;
    if (!verify) return Promise.resolve({ passed: true });
    // Smoke tests may outlive the graph run (the last builds are done): the caller's signal too.
    const signal = options.signal ? AbortSignal.any([graphSignal, options.signal]) : graphSignal;
    return smokeSlot(async (): Promise<Verdict> => {
      if (signal.aborted) return { passed: false, cancelled: true, error: new Error('the run was cancelled before the smoke tests started') };
      try {
        const check = await verify(image, reference, signal);
        return check.passed ? { passed: true, results: check.results } : { passed: false, results: check.results };
      } catch (error) {
        return { passed: false, error, cancelled: signal.aborted };
      }
    });
  };

  // Every ancestor of an image (not itself), parents first: sets built once per image from its
  // parents' sets, ordered by the run's order (`included` holds every ancestor, parents first).
  const position = new Map(included.map((name, i) => [name, i]));
  const ancestorSets = new Map<string, Set<string>>();
  const ancestorSet = (name: string): Set<string> => {
    let set = ancestorSets.get(name);
    if (!set) {
      set = new Set();
      for (const parent of plan.images[name]!.parents) {
        set.add(parent);
        for (const a of ancestorSet(parent)) set.add(a);
      }
      ancestorSets.set(name, set);
    }
    return set;
  };
  const ancestorsOf = (name: string): string[] => [...ancestorSet(name)].sort((a, b) => position.get(a)! - position.get(b)!);

  /** The outcome of a built or reused image, once its own and its ancestors' smoke tests are in. */
  const finish = async (name: string, base: Pick<ImageOutcome, 'name' | 'requested' | 'repository'>, value: Built): Promise<ImageOutcome> => {
    const { digest, reference, inputHash, status, tags, durationMs } = value;
    const outcome: ImageOutcome = { ...base, status, tags, digest, reference, inputHash, durationMs };
    const own = await verdicts.get(name)!;
    if (own.results) outcome.smoke = own.results;
    const untested: string[] = [];
    for (const ancestor of ancestorsOf(name)) {
      // Every ancestor was built or reused (else this image was skipped), so it has a verdict.
      if (!(await verdicts.get(ancestor)!).passed) untested.push(ancestor);
    }
    if (untested.length > 0) outcome.untestedAncestors = untested;
    if (!own.passed) {
      // Pushed but not fit for use: the outcome still says where it is so people can look at it.
      outcome.status = own.cancelled ? 'cancelled' : 'failed';
      if (own.error !== undefined) outcome.reason = `${own.cancelled ? 'cancelled during the smoke tests' : 'smoke tests could not run'}: ${describeError(own.error)}`;
      else {
        const failed = (own.results ?? []).filter((r) => !r.passed).map((r) => r.name);
        outcome.reason = `smoke test${failed.length === 1 ? '' : 's'} failed: ${failed.join(', ') || 'unknown'}`;
      }
    } else if (untested.length > 0) {
      outcome.reason = untestedParentReason(untested);
    }
    return outcome;
  };

  const record = (outcome: ImageOutcome): void => {
    outcomes.set(outcome.name, outcome);
    options.onSettled?.(outcome);
  };

  const buildOne = async (name: string, parents: Readonly<Record<string, Built>>, signal: AbortSignal): Promise<Built> => {
    const image = plan.images[name]!;
    const repository = repositories.get(name)!;
    const begin = now();
    const baseDigests: Record<string, string | undefined> = {};
    for (const reference of image.externalBases) if (!pinnedDigest(reference)) baseDigests[reference] = await options.baseDigest?.(reference, signal);
    const bases = inputBases(image, Object.fromEntries(image.parents.map((p) => [p, parents[p]!.digest])), baseDigests)!;
    const inputHash = (options.inputHash ?? combineInputHash)(image.contentHash, bases);
    const targets = destinations(image, options.origin, inputHash, options.registry);
    const tags = targets.map((t) => t.slice(repository.length + 1));

    // A registry that cannot be asked fails the image (docs/build-avoidance.md): silently
    // rebuilding everything would hide a broken login.
    let digest = await options.avoidance?.find({ name, repository, inputHash }, signal);
    let status: Built['status'] = 'reused';
    if (digest !== undefined) {
      options.log(name, `reusing ${repository}@${digest}: inputs ${inputHash} were built before`);
      await options.avoidance!.tag(repository, digest, tags, signal);
    } else {
      status = 'built';
      const pinnedRefs = Object.fromEntries(image.parents.map((p) => [p, parents[p]!.reference]));
      const pinned = pinParents(await options.loadDockerfile(image), image.from, image.buildArgs, pinnedRefs);
      for (const pin of pinned.pins) options.log(name, `FROM ${pin.from} pinned to ${pin.to}${pin.viaArg ? ` (build arg ${pin.viaArg})` : ''}`);
      const request: BuildRequest = {
        name,
        contextDir: await options.contextDir(image, signal),
        dockerfile: pinned.dockerfile,
        destinations: targets,
        buildArgs: pinned.buildArgs,
        labels: imageLabels(image, options.origin, inputHash, { bases, parents: pinnedRefs }),
        insecureRegistries: [...(options.insecureRegistries ?? [])],
        signal,
        log: (line) => options.log(name, line),
      };
      if (image.credentials !== undefined) request.credentials = image.credentials;
      if (image.resources !== undefined) request.resources = image.resources;
      if (options.timeoutMs !== undefined) request.timeoutMs = options.timeoutMs;
      digest = (await options.builder.build(request)).digest;
    }
    const built: Built = { digest, reference: `${repository}@${digest}`, inputHash, status, tags, durationMs: now() - begin };
    // Pushed: children may start now. The smoke tests run beside them.
    verdicts.set(name, verifyOne(image, built.reference, signal));
    return built;
  };

  const states = await runGraph<Built>(tasks, {
    maxParallel: options.maxParallel,
    estimates: options.estimates,
    signal: options.signal,
    run: buildOne,
    onStart: (name) => {
      started.set(name, now());
      options.onStart?.(name);
    },
    onSettled: (name, state) => {
      const base = { name, requested: requested.has(name), repository: repositories.get(name)! };
      switch (state.state) {
        case 'done':
          options.onBuilt?.(name);
          finishing.push(finish(name, base, state.value).then(record));
          return;
        case 'failed':
          record({ ...base, status: 'failed', tags: [], durationMs: now() - (started.get(name) ?? now()), reason: describeError(state.error) });
          return;
        default:
          record({ ...base, status: state.state, tags: [], durationMs: started.has(name) ? now() - started.get(name)! : 0, reason: state.reason });
      }
    },
  });
  await Promise.all(finishing);
  if (states.size !== included.length || outcomes.size !== included.length) throw new Error('scheduler finished with images unaccounted for');
  return included.map((name) => outcomes.get(name)!);
}
