// How long each action bundle takes, run the way the runner runs it (INPUT_* variables,
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files, the repository as workspace), on
// the examples, against a bare `node -e ''` measured in the same rounds. The runs are
// interleaved (one of each per round) so the machine's load hits all alike; medians are compared.
// Target: every bundle within 2x of bare node. Builds dist/ first when it is stale. With
// /usr/bin/time present, CPU time (user + system) is shown too: on a busy machine it moves
// much less than wall time.
// npm run bench:startup [-- --rounds 21] [--node /path/to/node24/bin/node] [--only check-image,push-archive]
// --node runs the bundles and bare node with another Node binary (actions run on Node 24).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error: a plain ESM script without types
import { bundle, bundleIsCurrent } from '../scripts/bundle.mjs';
import { registryWithBusybox, usePrivateStorage } from '../test/harness/buildah.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, node: { type: 'string' }, only: { type: 'string' } } });
const ROUNDS = Number(values.rounds);
const NODE = values.node ?? process.execPath;
const root = resolve(import.meta.dirname, '..');

interface Case {
  name: string;
  /** What the run does, for the table. */
  what: string;
  args: string[];
  inputs?: Record<string, string>;
  state?: Record<string, string>;
  /** Exit code the run must end with (anything else means it measured an error path). */
  exitCode?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  process.chdir(root);
  if (!(bundleIsCurrent as () => boolean)()) {
    console.log('dist/ is stale: bundling first');
    await (bundle as () => Promise<unknown>)();
  }
  const dir = mkdtempSync(join(tmpdir(), 'bi-startup-'));
  // buildah (to put busybox in the registry) works in a private storage, like the tests.
  usePrivateStorage(dir);
  // check-image and push-archive need an image and an archive of it: busybox, on loopback.
  const { registry, busybox: image } = await registryWithBusybox();
  try {
    const archive = join(dir, 'busybox.tar');
    const copy = spawnSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${image}`, `docker-archive:${archive}:busybox:1.36`], { stdio: 'inherit' });
    if (copy.status !== 0) throw new Error('skopeo copy failed');
    const insecure = { 'insecure-registries': registry.host };
    const nothingBuilt = JSON.stringify({ golden: { status: 'built', reference: `${registry.host}/acme/golden@sha256:${'0'.repeat(64)}` } });
    const allCases: Case[] = [
      { name: 'validate', what: 'the examples', args: ['dist/validate/index.js'], inputs: { templates: 'examples' } },
      { name: 'plan', what: 'the examples', args: ['dist/plan/index.js'], inputs: { templates: 'examples' } },
      {
        name: 'build-image',
        what: 'the examples, nothing changed since HEAD (kaniko)',
        args: ['dist/build-image/index.js'],
        inputs: { templates: 'examples', images: 'changed', since: 'HEAD' },
      },
      { name: 'build-image post', what: 'after a run that built nothing', args: ['dist/build-image/post.js'], state: { builder: 'kaniko' } },
      {
        name: 'smoke-test',
        what: "the examples, 'base' not in the build's output",
        args: ['dist/smoke-test/index.js'],
        inputs: { templates: 'examples', images: 'base', built: nothingBuilt },
      },
      {
        name: 'promote',
        what: 'a build output where nothing passed',
        args: ['dist/promote/index.js'],
        inputs: { built: JSON.stringify({ base: { status: 'failed', digest: null, repository: `${registry.host}/acme/base`, smoke: 'failed' } }) },
      },
      { name: 'check-image', what: 'busybox in a loopback registry', args: ['dist/check-image/index.js'], inputs: { images: image, ...insecure }, exitCode: 1 },
      {
        name: 'push-archive',
        what: 'a busybox docker-archive, all blobs there',
        args: ['dist/push-archive/index.js'],
        inputs: { archive, image: `${registry.host}/bench/busybox:1`, ...insecure },
      },
      { name: 'cli validate', what: 'build-image validate examples', args: ['dist/cli/index.js', 'validate', 'examples'] },
    ];
    const only = values.only?.split(',').map((n) => n.trim());
    const cases = only ? allCases.filter((c) => only.includes(c.name)) : allCases;
    if (cases.length === 0) throw new Error(`--only matched no case; the cases are: ${allCases.map((c) => c.name).join(', ')}`);

    const timeTool = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
    const cpuFile = join(dir, 'cpu');
    const run = (c: Case | undefined, round: number): { ms: number; cpuMs: number; code: number | null; stderr: string } => {
      const work = join(dir, `run-${round}`);
      mkdirSync(work, { recursive: true });
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CONTAINERS_STORAGE_CONF: process.env.CONTAINERS_STORAGE_CONF,
        TMPDIR: dir,
        GITHUB_WORKSPACE: root,
        RUNNER_TEMP: work,
        GITHUB_OUTPUT: join(work, 'output'),
        GITHUB_STEP_SUMMARY: join(work, 'summary'),
        GITHUB_STATE: join(work, 'state'),
      };
      for (const file of ['output', 'summary', 'state']) writeFileSync(join(work, file), '');
      for (const [k, v] of Object.entries(c?.inputs ?? {})) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
      for (const [k, v] of Object.entries(c?.state ?? {})) env[`STATE_${k}`] = v;
      const argv = [NODE, ...(c ? c.args : ['-e', ''])];
      const started = performance.now();
      const result = timeTool ? spawnSync(timeTool, ['-f', '%U %S', '-o', cpuFile, ...argv], { env, cwd: root, encoding: 'utf8' }) : spawnSync(argv[0]!, argv.slice(1), { env, cwd: root, encoding: 'utf8' });
      const ms = performance.now() - started;
      const cpu = timeTool ? readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN];
      return { ms, cpuMs: (cpu[0]! + cpu[1]!) * 1000, code: result.status, stderr: `${result.stdout}${result.stderr}` };
    };

    // One warm-up round (file cache), then interleaved rounds: bare node before every bundle.
    for (const c of cases) {
      const r = run(c, -1);
      if (r.code !== (c.exitCode ?? 0)) throw new Error(`${c.name} exited with ${r.code}, not ${c.exitCode ?? 0}:\n${r.stderr.slice(-2000)}`);
    }
    const bare = { wall: [] as number[], cpu: [] as number[] };
    const times = new Map(cases.map((c) => [c.name, { wall: [] as number[], cpu: [] as number[] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const b = run(undefined, round);
        bare.wall.push(b.ms);
        bare.cpu.push(b.cpuMs);
        const t = run(c, round);
        times.get(c.name)!.wall.push(t.ms);
        times.get(c.name)!.cpu.push(t.cpuMs);
      }
    }
    const bareWall = median(bare.wall);
    const bareCpu = median(bare.cpu);
    const cpuText = (ms: number): string => (Number.isNaN(ms) ? '' : `   cpu ${ms.toFixed(0).padStart(4)} ms ${(ms / bareCpu).toFixed(2)}x`);
    console.log(`\n${ROUNDS} rounds, interleaved; medians. Node ${spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()}.`);
    console.log(`${"bare node -e ''".padEnd(18)} ${bareWall.toFixed(0).padStart(5)} ms        ${cpuText(bareCpu)}`);
    let worst = 0;
    for (const c of cases) {
      const m = median(times.get(c.name)!.wall);
      const ratio = m / bareWall;
      worst = Math.max(worst, ratio);
      console.log(`${c.name.padEnd(18)} ${m.toFixed(0).padStart(5)} ms ${ratio.toFixed(2)}x${cpuText(median(times.get(c.name)!.cpu))}   (${c.what})`);
    }
    console.log(`\nslowest (wall): ${worst.toFixed(2)}x bare node (target: within 2x) ${worst <= 2 ? 'OK' : 'MISSED'}`);
  } finally {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
