// bench/scheduler: the scheduler's real code (scheduleBuilds) on random image graphs, with a
// builder whose builds take simulated time on a virtual clock. Compares the makespan with the
// lower bound max(critical path, total work / P) and with level-by-level scheduling.
// Run: npx tsx bench/scheduler.ts [graphsPerSize]
import { scheduleBuilds } from '../src/pipeline/scheduler.js';
import type { Plan, PlannedImage } from '../src/plan/types.js';
import type { Builder, BuildRequest, BuildResult } from '../src/builders/types.js';

/** Deterministic PRNG (mulberry32), so every run measures the same graphs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Timers that fire when everything else has settled: virtual time, no waiting. */
class VirtualClock {
  now = 0;
  private timers: { at: number; fire: () => void }[] = [];

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.now + ms, fire: resolve }));
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    for (;;) {
      // A macrotask turn: every promise chain the last timers released has run by now.
      await new Promise((r) => setImmediate(r));
      if (done) return result;
      if (this.timers.length === 0) throw new Error('deadlock: nothing running and nothing to wait for');
      const next = Math.min(...this.timers.map((t) => t.at));
      this.now = next;
      const due = this.timers.filter((t) => t.at === next);
      this.timers = this.timers.filter((t) => t.at !== next);
      for (const t of due) t.fire();
    }
  }
}

class SimulatedBuilder implements Builder {
  readonly kind = 'buildah' as const;
  constructor(
    private readonly clock: VirtualClock,
    private readonly durations: Record<string, number>,
  ) {}
  async build(request: BuildRequest): Promise<BuildResult> {
    await this.clock.sleep(this.durations[request.name]!);
    const hex = Buffer.from(request.name).toString('hex').padEnd(64, '0').slice(0, 64);
    return { digest: `sha256:${hex}`, durationMs: this.durations[request.name]! };
  }
  async smoke(): Promise<never[]> {
    return [];
  }
  async cleanup(): Promise<void> {}
}

interface Graph {
  names: string[];
  parents: Record<string, string[]>;
  durations: Record<string, number>;
}

/** Image-like graphs: a few roots, most images on one parent, some on two. Durations 30-600 s. */
function randomGraph(size: number, seed: number): Graph {
  const rnd = random(seed);
  const names = Array.from({ length: size }, (_, i) => `img${i}`);
  const parents: Record<string, string[]> = {};
  const durations: Record<string, number> = {};
  names.forEach((name, i) => {
    const roll = rnd();
    const count = i === 0 || roll < 0.1 ? 0 : roll < 0.85 ? 1 : 2;
    const chosen = new Set<string>();
    // Prefer recent images as parents, so graphs get deep as well as wide.
    while (chosen.size < Math.min(count, i)) chosen.add(names[Math.floor(i * Math.sqrt(rnd()))]!);
    parents[name] = [...chosen];
    durations[name] = Math.round(30 + rnd() * 570);
  });
  return { names, parents, durations };
}

function planOf(graph: Graph, only: readonly string[] = graph.names): Plan {
  const images: Record<string, PlannedImage> = {};
  const include = new Set(only);
  for (const name of only) {
    const parents = graph.parents[name]!.filter((p) => include.has(p));
    images[name] = {
      name,
      file: `.coder/images/${name}.yaml`,
      repository: `registry.test/bench/${name}`,
      tags: [],
      context: name,
      dockerfile: `${name}/Dockerfile`,
      parents,
      from: parents.length ? parents.map((p, i) => ({ line: i + 1, ref: `registry.test/bench/${p}`, parent: p })) : [{ line: 1, ref: 'busybox' }],
      externalBases: [],
      buildArgs: {},
      smoke: [],
      reasons: [],
      selected: true,
      contentHash: name,
    };
  }
  return { root: '/bench', order: [...only], levels: [], images, environments: {} };
}

async function makespan(graph: Graph, only: readonly string[], maxParallel: number, estimates?: Record<string, number>): Promise<number> {
  const clock = new VirtualClock();
  const plan = planOf(graph, only);
  const dockerfiles = Object.fromEntries(only.map((n) => [n, plan.images[n]!.from.map((f) => `FROM ${f.ref}`).join('\n') + '\nRUN true\n']));
  const outcomes = await clock.run(
    scheduleBuilds({
      plan,
      builder: new SimulatedBuilder(clock, graph.durations),
      maxParallel,
      origin: { commit: '0'.repeat(40), created: '2026-01-01T00:00:00Z' },
      inputHash: (content) => Buffer.from(content).toString('hex').padEnd(16, '0'),
      loadDockerfile: async (image) => dockerfiles[image.name]!,
      contextDir: (image) => image.context,
      ...(estimates ? { estimates } : {}),
      log: () => undefined,
      now: () => clock.now,
    }),
  );
  const failed = outcomes.find((o) => o.status !== 'built');
  if (failed) throw new Error(`simulated build of ${failed.name} ${failed.status}: ${failed.reason}`);
  return clock.now;
}

function levels(graph: Graph): string[][] {
  const depth: Record<string, number> = {};
  const out: string[][] = [];
  for (const name of graph.names) {
    depth[name] = Math.max(-1, ...graph.parents[name]!.map((p) => depth[p]!)) + 1;
    (out[depth[name]!] ??= []).push(name);
  }
  return out;
}

function lowerBound(graph: Graph, maxParallel: number): { bound: number; critical: number; work: number } {
  const finish: Record<string, number> = {};
  for (const name of graph.names) finish[name] = Math.max(0, ...graph.parents[name]!.map((p) => finish[p]!)) + graph.durations[name]!;
  const critical = Math.max(...Object.values(finish));
  const work = Object.values(graph.durations).reduce((a, b) => a + b, 0);
  return { bound: Math.max(critical, work / maxParallel), critical, work };
}

async function main(): Promise<void> {
  const perSize = Number(process.argv[2] ?? 6);
  const sizes = Array.from({ length: 50 }, (_, i) => 20 + Math.round((i * 180) / 49));
  const parallelism = [2, 4, 8];
  const rows: { size: number; p: number; equal: number; known: number; level: number }[] = [];
  const started = Date.now();
  let seed = 1;
  for (const size of sizes) {
    for (let s = 0; s < perSize; s++) {
      const graph = randomGraph(size, seed++);
      const p = parallelism[s % parallelism.length]!;
      const { bound } = lowerBound(graph, p);
      const equal = await makespan(graph, graph.names, p);
      const known = await makespan(graph, graph.names, p, graph.durations);
      let level = 0;
      for (const names of levels(graph)) level += await makespan(graph, names, p, graph.durations);
      // No schedule beats the bound: a ratio below 1 would mean the simulation is wrong.
      if (Math.min(equal, known, level) < bound - 1e-6) throw new Error(`graph ${seed - 1}: makespan below the lower bound`);
      rows.push({ size, p, equal: equal / bound, known: known / bound, level: level / bound });
    }
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const pct = (x: number): string => `${((x - 1) * 100).toFixed(1)}%`;
  const equal = rows.map((r) => r.equal);
  const known = rows.map((r) => r.known);
  const improvement = rows.map((r) => 1 - r.equal / r.level);
  const improvementKnown = rows.map((r) => 1 - r.known / r.level);
  console.log(`bench/scheduler: ${rows.length} random graphs (50 sizes, 20-200 images, ${perSize} seeds each; P in ${parallelism.join(', ')}), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log('makespan / lower bound max(critical path, work / P):');
  console.log(`  equal estimates (default):  mean ${pct(mean(equal))} above the bound, worst ${pct(Math.max(...equal))}`);
  console.log(`  known durations:            mean ${pct(mean(known))} above the bound, worst ${pct(Math.max(...known))}`);
  console.log(`  level by level:             mean ${pct(mean(rows.map((r) => r.level)))} above the bound, worst ${pct(Math.max(...rows.map((r) => r.level)))}`);
  console.log(`improvement over level by level: mean ${(mean(improvement) * 100).toFixed(1)}% shorter makespan (equal estimates), ${(mean(improvementKnown) * 100).toFixed(1)}% (known durations)`);
  for (const p of parallelism) {
    const sub = rows.filter((r) => r.p === p);
    console.log(`  P=${p}: ${sub.length} graphs, equal estimates mean ${pct(mean(sub.map((r) => r.equal)))}, known ${pct(mean(sub.map((r) => r.known)))}, level by level ${pct(mean(sub.map((r) => r.level)))}`);
  }
  const target = mean(equal) <= 1.05;
  console.log(`target (mean within 5% of the bound, default estimates): ${target ? 'met' : 'NOT met'}`);
  if (!target) process.exitCode = 1;
}

await main();
