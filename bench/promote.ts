// Promotion of 50 images (test -> latest) with the project's registry client, against
// `skopeo copy` of the same tags, on one local registry in the same run.
// Run: npx tsx bench/promote.ts   (BENCH_IMAGES=50 by default)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RegistryClient } from '../src/systems/registry/client.js';
import { copyImageContent } from '../src/systems/registry/copy.js';
import { mapLimit } from '../src/lib/concurrency.js';
import { promote } from '../src/promote/promote.js';
import { startRegistry } from '../test/harness/registry.js';
import { pushBusyboxImage } from '../test/harness/buildah.js';

const exec = promisify(execFile);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
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
    console.log(`${IMAGES} repositories with a busybox 'test' tag on ${registry.host}`);

    const project: number[] = [];
    const skopeoSerial: number[] = [];
    const skopeoParallel: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // a fresh client each round: no cached connections or tokens carried over
      const fresh = new RegistryClient({ insecure: [registry.host] });
      const tag = `latest-${round}`;
      project.push(await time(() => promote(fresh, repos.map((r) => ({ source: r, fromTag: 'test', targets: [{ ...r, tag }] }))) ));
      skopeoSerial.push(await time(async () => {
        for (const r of repos) {
          await exec('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/${r.repository}:test`, `docker://${registry.host}/${r.repository}:skopeo-${round}`]);
        }
      }));
      skopeoParallel.push(await time(() => mapLimit(repos, 8, (r) =>
        exec('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/${r.repository}:test`, `docker://${registry.host}/${r.repository}:skopeo-par-${round}`]))));
      console.log(`round ${round + 1}: project ${project.at(-1)!.toFixed(0)} ms, skopeo copy one by one ${skopeoSerial.at(-1)!.toFixed(0)} ms, skopeo copy 8 at a time ${skopeoParallel.at(-1)!.toFixed(0)} ms`);
    }
    // every promoted tag points at the tested digest
    for (const r of repos) {
      const head = await client.headManifest(r, 'latest-0');
      if (head?.digest !== manifest.digest) throw new Error(`${r.repository}:latest-0 is ${head?.digest}`);
    }
    const p = median(project);
    console.log(`median of ${ROUNDS}: project ${p.toFixed(0)} ms; skopeo one by one ${median(skopeoSerial).toFixed(0)} ms (${(median(skopeoSerial) / p).toFixed(1)}x slower); skopeo 8 at a time ${median(skopeoParallel).toFixed(0)} ms (${(median(skopeoParallel) / p).toFixed(1)}x slower)`);
    console.log(`target: at least 5x faster than skopeo copy: ${median(skopeoSerial) / p >= 5 ? 'met' : 'NOT met'}`);
  } finally {
    await registry.stop();
  }
}

await main();
