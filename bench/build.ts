// bench/build: the build job (runPipeline with the buildah builder and a real loopback registry)
// against the same builds done by hand, in the same run: `buildah bud`, one `buildah push`, and
// the same smoke commands (`buildah from` + one `buildah run` per command), in graph order with
// the same parallelism — a child starts once its parent is pushed, smoke tests run beside the
// builds. The images: a generated family of 12 busybox images (a root, three children, eight
// grandchildren), each with two smoke commands. Rounds alternate (ours, by hand, ours, ...);
// medians are compared. Target: the build job within 1.2x of the hand-written run.
// npm run bench:build [-- --rounds 2 --parallel 4]
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../test/harness/registry.js';
import { pushBusyboxImage, usePrivateStorage } from '../test/harness/buildah.js';
import { runPipeline } from '../src/pipeline/pipeline.js';
import { runGraph } from '../src/pipeline/scheduler.js';
import { BuildahBuilder } from '../src/builders/buildah/builder.js';
import { limiter } from '../src/lib/concurrency.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, parallel: { type: 'string', default: '4' } } });
const ROUNDS = Number(values.rounds);
const PARALLEL = Number(values.parallel);

interface Family {
  name: string;
  parent?: string;
  smoke: { name: string; run: string }[];
}

/** root -> a, b, c -> a1..a3, b1..b3, c1, c2: twelve images, three levels. */
function family(): Family[] {
  const smoke = (name: string) => [
    { name: 'layer', run: `grep -q ${name} /etc/family` },
    { name: 'shell', run: 'test -x /bin/sh && echo ok' },
  ];
  const images: Family[] = [{ name: 'root', smoke: smoke('root') }];
  const children: Record<string, number> = { a: 3, b: 3, c: 2 };
  for (const [child, grandchildren] of Object.entries(children)) {
    images.push({ name: child, parent: 'root', smoke: smoke(child) });
    for (let i = 1; i <= grandchildren; i++) images.push({ name: `${child}${i}`, parent: child, smoke: smoke(`${child}${i}`) });
  }
  return images;
}

function dockerfile(image: Family, from: string): string {
  return `FROM ${from}\nRUN echo ${image.name} >> /etc/family && mkdir -p /opt/${image.name} && echo data > /opt/${image.name}/file\n`;
}

/** A template repository for the family: `.coder/images/<name>.yaml` and `images/<name>/Dockerfile`. */
function writeTemplates(dir: string, busybox: string): void {
  for (const image of family()) {
    mkdirSync(join(dir, '.coder/images'), { recursive: true });
    mkdirSync(join(dir, 'images', image.name), { recursive: true });
    const smoke = image.smoke.map((s) => `    - { name: ${s.name}, run: "${s.run}" }`).join('\n');
    writeFileSync(join(dir, '.coder/images', `${image.name}.yaml`), `name: ${image.name}\ntype: image\nspec:\n  context: ./images/${image.name}\n  image: ghcr.io/acme/${image.name}\n  smoke:\n${smoke}\n`);
    writeFileSync(join(dir, 'images', image.name, 'Dockerfile'), dockerfile(image, image.parent ? `ghcr.io/acme/${image.parent}:latest` : busybox));
  }
}

async function ours(templates: string, registry: TestRegistry, round: number): Promise<number> {
  const started = performance.now();
  const builder = new BuildahBuilder({ runId: `bench-ours-${process.pid}-${round}` });
  try {
    const result = await runPipeline({
      dir: templates,
      selection: { kind: 'all' },
      builder,
      origin: { commit: 'feedface00000000000000000000000000000001', branch: 'main', created: new Date().toISOString() },
      registry: `${registry.host}/ours-${round}`,
      insecureRegistries: [registry.host],
      maxParallel: PARALLEL,
      // Every round builds: no reuse of what an earlier round pushed.
      avoidance: false,
      log: () => undefined,
    });
    const reports = Object.values(result.images);
    if (!result.ok || reports.length !== 12 || reports.some((r) => r.status !== 'built' || r.smoke !== 'passed' || r.smokeResults?.length !== 2)) {
      throw new Error(`the build job did not build and test everything: ${JSON.stringify(reports.map((r) => [r.name, r.status, r.smoke, r.reason]))}`);
    }
  } finally {
    await builder.cleanup();
  }
  return performance.now() - started;
}

async function byHand(templates: string, registry: TestRegistry, busybox: string, round: number): Promise<number> {
  const started = performance.now();
  const storage = mkdtempSync(join(tmpdir(), 'bi-bench-hand-'));
  const buildah = (args: string[]) => run('buildah', ['--storage-driver', 'vfs', '--root', join(storage, 'root'), '--runroot', join(storage, 'run'), ...args], { maxBuffer: 64 << 20 });
  const images = family();
  const smokeSlot = limiter(PARALLEL);
  const smokes: Promise<unknown>[] = [];
  try {
    const states = await runGraph<string>(
      images.map((i) => ({ name: i.name, parents: i.parent ? [i.parent] : [] })),
      {
        maxParallel: PARALLEL,
        run: async (name, parents) => {
          const image = images.find((i) => i.name === name)!;
          const repository = `${registry.host}/hand-${round}/acme/${name}`;
          const from = image.parent ? `${registry.host}/hand-${round}/acme/${image.parent}@${parents[image.parent]}` : busybox;
          const work = mkdtempSync(join(storage, 'work-'));
          writeFileSync(join(work, 'Dockerfile'), dockerfile(image, from));
          await buildah(['bud', '--isolation', 'chroot', '--format', 'docker', '--file', join(work, 'Dockerfile'), '--tag', `localhost/hand/${name}`, '--tls-verify=false', join(templates, 'images', name)]);
          await buildah(['push', '--format', 'v2s2', '--digestfile', join(work, 'digest'), '--tls-verify=false', `localhost/hand/${name}`, `docker://${repository}:test`]);
          const digest = readFileSync(join(work, 'digest'), 'utf8').trim();
          smokes.push(
            smokeSlot(async () => {
              const container = `hand-smoke-${name}`;
              await buildah(['from', '--pull', '--name', container, '--tls-verify=false', `${repository}@${digest}`]);
              for (const command of image.smoke) await buildah(['run', '--isolation', 'chroot', container, '--', '/bin/sh', '-c', command.run]);
              await buildah(['rm', container]);
            }),
          );
          return digest;
        },
      },
    );
    const failed = [...states].filter(([, s]) => s.state !== 'done');
    if (failed.length > 0) throw new Error(`the hand-written run failed: ${failed.map(([n, s]) => `${n}: ${s.state === 'failed' ? String(s.error) : s.state}`).join('; ')}`);
    await Promise.all(smokes);
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bi-bench-build-'));
  // The harness's buildah (busybox for the registry) in a private storage, like the tests.
  usePrivateStorage(dir);
  process.env.TMPDIR = dir;
  const registry = await startRegistry();
  try {
    const busyboxTag = `${registry.host}/library/busybox:1.36`;
    const busybox = `${registry.host}/library/busybox@${await pushBusyboxImage(busyboxTag)}`;
    const templates = join(dir, 'templates');
    writeTemplates(templates, busybox);
    await run('git', ['init', '-q', templates]);
    await run('git', ['-C', templates, '-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'add', '-A']);
    await run('git', ['-C', templates, '-c', 'user.email=bench@example.com', '-c', 'user.name=bench', 'commit', '-qm', 'family']);

    const oursTimes: number[] = [];
    const handTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      oursTimes.push(await ours(templates, registry, round));
      handTimes.push(await byHand(templates, registry, busybox, round));
      console.log(`round ${round + 1}: build job ${(oursTimes[round]! / 1000).toFixed(1)} s, by hand ${(handTimes[round]! / 1000).toFixed(1)} s`);
    }
    const a = median(oursTimes);
    const b = median(handTimes);
    console.log(`\n12 images, 24 smoke commands, max-parallel ${PARALLEL}, ${ROUNDS} round(s) each, alternating; medians.`);
    console.log(`build job (runPipeline, buildah builder): ${(a / 1000).toFixed(1)} s`);
    console.log(`by hand (bud + one push + smoke runs):   ${(b / 1000).toFixed(1)} s`);
    console.log(`ratio: ${(a / b).toFixed(2)}x (target: within 1.2x) ${a / b <= 1.2 ? 'OK' : 'MISSED'}`);
  } finally {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
