// Plans 2,000 image templates (each with a Dockerfile, parents several levels deep) and 1,000
// environments the way a user runs it, as a whole process (`build-image plan DIR --format json`,
// process start included), side by side with a process that only reads the same files and
// YAML-parses the templates (bench/plan-bare.ts). The CLI is the shipped bundle (dist/, rebuilt
// first when stale); the bare reader is bundled the same way (one CommonJS file) into a
// temporary folder. Run: npx tsx bench/plan.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain ESM script without types
import { bundle, bundleIsCurrent } from '../scripts/bundle.mjs';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const ENVIRONMENTS = Number(process.env.BENCH_ENVIRONMENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

// A small deterministic PRNG so every run plans the same graph.
let seed = 42;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

function generate(root: string): void {
  mkdirSync(join(root, '.coder/images'), { recursive: true });
  mkdirSync(join(root, '.coder/environments'), { recursive: true });
  for (let i = 0; i < IMAGES; i++) {
    const name = `img-${i}`;
    // Parents come from earlier images, so the graph is acyclic and several levels deep.
    const parent = i < 20 || random() < 0.1 ? undefined : `img-${Math.floor(random() * Math.min(i, 200 + i / 2))}`;
    const dir = join(root, 'images', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), `ARG BASE=${parent ? `ghcr.io/acme/${parent}:latest` : 'docker.io/library/debian:12'}\nFROM \${BASE}\nRUN echo ${name} > /etc/${name}\nCOPY . /opt/${name}\n`);
    writeFileSync(
      join(root, '.coder/images', `${name}.yaml`),
      [
        `name: ${name}`,
        'type: image',
        'spec:',
        `  context: ./images/${name}`,
        `  image: ghcr.io/acme/${name}`,
        '  tags: [latest]',
        '  parameters:',
        `    - { name: VERSION, description: version of ${name}, default: "1.${i}" }`,
        '  smoke:',
        `    - { name: present, run: test -f /etc/${name} }`,
        '  resources: { cpu: 2, memory: 4Gi }',
        '',
      ].join('\n'),
    );
  }
  for (let i = 0; i < ENVIRONMENTS; i++) {
    writeFileSync(
      join(root, '.coder/environments', `env-${i}.yaml`),
      [
        `name: env-${i}`,
        'type: environment',
        'provider: kubernetes',
        'spec:',
        '  - name: env',
        '    primary: true',
        `    image: img-${Math.floor(random() * IMAGES)}`,
        '    tag: main',
        '    cpu: 2',
        '    memory: 4GB',
        '    personalize: ["RUN echo hi > /tmp/hi"]',
        '    env:',
        '      - { name: A, value: b }',
        '  - name: postgres',
        '    image: postgres:16',
        '    env: [{ name: POSTGRES_DB, value: coder }]',
        '',
      ].join('\n'),
    );
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Bundles the bare reader into `outdir/plan-bare.js` the way the CLI ships: one CommonJS file. */
async function bundleBare(outdir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(outdir, 'plan-bare.js');
  await build({ entryPoints: ['bench/plan-bare.ts'], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' });
  return outfile;
}

// GNU time, when installed, also gives the CPU time each process used: on a shared machine the
// wall time carries other people's load, the CPU time much less so.
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall time (and CPU time, user + system) of one whole process, start to exit. */
function timed(args: string[]): { ms: number; cpuMs?: number; stdout: string } {
  const started = performance.now();
  const result = GNU_TIME ? spawnSync(GNU_TIME, ['-f', '@cpu %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }) : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}:\n${result.stderr.slice(0, 2000)}`);
  const cpu = /@cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  return { ms, stdout: result.stdout, ...(cpu ? { cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 } : {}) };
}

// BENCH_KEEP=1 keeps the generated repository and bundles (for profiling) and prints where.
const work = mkdtempSync(join(tmpdir(), 'bi-bench-plan-'));
const root = join(work, 'repo');
try {
  generate(root);
  writeFileSync(join(work, 'package.json'), '{"type": "commonjs"}\n');
  if (!(bundleIsCurrent as () => boolean)()) await (bundle as () => Promise<unknown>)();
  const cli = 'dist/cli/index.js';
  const bare = await bundleBare(work);
  const planArgs = [cli, 'plan', root, '--format', 'json'];
  // Warm the page cache for both, then alternate them so noise hits both alike.
  const first = JSON.parse(timed(planArgs).stdout) as { levels: string[][]; images: Record<string, { parents: string[] }> };
  timed([bare, root]);
  const bareRuns: ReturnType<typeof timed>[] = [];
  const planRuns: ReturnType<typeof timed>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bareRuns.push(timed([bare, root]));
    planRuns.push(timed(planArgs));
  }
  const b = median(bareRuns.map((r) => r.ms));
  const p = median(planRuns.map((r) => r.ms));
  const edges = Object.values(first.images).reduce((n, i) => n + i.parents.length, 0);
  const cpu = (runs: ReturnType<typeof timed>[]): string => (runs[0]?.cpuMs !== undefined ? `, CPU ${median(runs.map((r) => r.cpuMs!)).toFixed(0)} ms` : '');
  console.log(`images: ${IMAGES}, environments: ${ENVIRONMENTS}, levels: ${first.levels.length}, edges: ${edges}, load average: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`);
  console.log(`read + YAML parse (whole process): ${b.toFixed(0)} ms wall${cpu(bareRuns)} (median of ${ROUNDS})`);
  console.log(`build-image plan --format json:    ${p.toFixed(0)} ms wall${cpu(planRuns)} (median of ${ROUNDS})`);
  console.log(
    `ratio plan / bare:                 ${(p / b).toFixed(2)}x wall${bareRuns[0]?.cpuMs !== undefined ? `, ${(median(planRuns.map((r) => r.cpuMs!)) / median(bareRuns.map((r) => r.cpuMs!))).toFixed(2)}x CPU` : ''} (target: plan under 1000 ms and within 2x)`,
  );
  if (process.env.BENCH_ASSERT && (p >= 1000 || p / b > 2)) process.exitCode = 1;
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
