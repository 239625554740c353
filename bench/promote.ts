// Promotion as a user runs it: `build-image promote` of 50 repositories' `test` tags to a new
// tag, one whole CLI process (the shipped bundle, dist/cli/index.js), against `skopeo copy`
// of the same tags one repository after another, each a whole process, as a script would.
// Both hit the same real registry (Debian docker-registry) on 127.0.0.1; rounds alternate
// which goes first so neither always meets a warm registry.
// Run: npm run build && npx tsx bench/promote.ts   (BENCH_IMAGES=50, BENCH_ROUNDS=3)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
// @ts-expect-error: a plain ESM script without types
import { bundle, bundleIsCurrent } from '../scripts/bundle.mjs';
import { RegistryClient } from '../src/systems/registry/client.js';
import { copyImageContent } from '../src/systems/registry/copy.js';
import { mapLimit } from '../src/lib/concurrency.js';
import { startRegistry } from '../test/harness/registry.js';
import { pushBusyboxImage } from '../test/harness/buildah.js';

const exec = promisify(execFile);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLI = 'dist/cli/index.js';

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!(bundleIsCurrent as () => boolean)()) await (bundle as () => Promise<unknown>)(); // times the shipped CLI, current
  const registry = await startRegistry();
  try {
    const client = new RegistryClient({ insecure: [registry.host] });
    await pushBusyboxImage(`${registry.host}/bench/base:test`);
    const base = { registry: registry.host, repository: 'bench/base' };
    const manifest = await client.requireManifest(base, 'test');
    const repos = Array.from({ length: IMAGES }, (_, i) => ({ registry: registry.host, repository: `bench/image-${i}` }));
    await mapLimit(repos, 8, async (repo) => {
      await copyImageContent(client, manifest, base, repo);
      await client.putManifest(repo, 'test', manifest);
    });
    console.log(`${IMAGES} repositories with a busybox 'test' tag on ${registry.host}; ${ROUNDS} rounds`);

    const project: number[] = [];
    const skopeo: number[] = [];
    const runProject = (round: number) => time(() => exec(process.execPath, [CLI, 'promote', ...repos.map((r) => `${registry.host}/${r.repository}:test`), '--to', `latest-${round}`, '--insecure'], { maxBuffer: 64 * 1024 * 1024 }));
    const runSkopeo = (round: number) =>
      time(async () => {
        for (const r of repos) {
          await exec('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/${r.repository}:test`, `docker://${registry.host}/${r.repository}:skopeo-${round}`]);
        }
      });
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        project.push(await runProject(round));
        skopeo.push(await runSkopeo(round));
      } else {
        skopeo.push(await runSkopeo(round));
        project.push(await runProject(round));
      }
      console.log(`round ${round + 1}: build-image promote ${project.at(-1)!.toFixed(0)} ms; skopeo copy one repository at a time ${skopeo.at(-1)!.toFixed(0)} ms (${(skopeo.at(-1)! / project.at(-1)!).toFixed(1)}x)`);
    }
    // every promoted tag points at the tested digest
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of repos) {
        const head = await client.headManifest(r, `latest-${round}`);
        if (head?.digest !== manifest.digest) throw new Error(`${r.repository}:latest-${round} is ${head?.digest}`);
      }
    }
    const ratio = median(skopeo) / median(project);
    console.log(`median of ${ROUNDS}: build-image promote ${median(project).toFixed(0)} ms; skopeo copy ${median(skopeo).toFixed(0)} ms; ratio ${ratio.toFixed(1)}x`);
    console.log(`target: at least 5x faster than skopeo copy: ${ratio >= 5 ? 'met' : 'NOT met'}`);
  } finally {
    await registry.stop();
  }
}

await main();
