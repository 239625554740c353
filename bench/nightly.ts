// The nightly's no-op cost at scale: N image templates (a forest several levels deep, one
// outside base, some following a source repository), all published as a build would have left
// them (labels included), then `runNightly` with nothing moved. Prints builds, write requests,
// read requests and seconds, counted by a loopback proxy in front of the real registry.
// Run: npx tsx bench/nightly.ts   (BENCH_IMAGES=200 by default)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlan } from '../src/plan/index.js';
import { combineInputHash } from '../src/graph/hash.js';
import { destinationRepository, imageLabels, testTag } from '../src/pipeline/tags.js';
import { RegistryClient, type RepositoryName } from '../src/systems/registry/client.js';
import { MediaType } from '../src/systems/registry/types.js';
import { parseReference } from '../src/systems/registry/reference.js';
import { mapLimit } from '../src/lib/concurrency.js';
import { runNightly } from '../src/nightly/nightly.js';
import type { Builder } from '../src/builders/types.js';
import { startRegistry } from '../test/harness/registry.js';
import { startFaultProxy } from '../test/harness/fault-proxy.js';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 200);
let seed = 7;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const split = (repository: string): RepositoryName => {
  const ref = parseReference(repository);
  return { registry: ref.registry, repository: ref.repository };
};

/** A builder that counts: the no-op run must not call it. */
const builds: string[] = [];
const countingBuilder: Builder = {
  kind: 'buildah',
  build: async (request) => {
    builds.push(request.name);
    throw new Error(`${request.name}: a no-op nightly must not build`);
  },
  smoke: async () => [],
  cleanup: async () => undefined,
};

async function main(): Promise<void> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy(registry.host);
  const work = mkdtempSync(join(tmpdir(), 'bi-bench-nightly-'));
  try {
    const client = new RegistryClient({ insecure: [proxy.host] });
    const layer = Buffer.from('not a real layer: the nightly never reads layers');
    const base = `${proxy.host}/library/debian:12`;
    const publish = async (repository: string, tag: string, labels: Record<string, string>): Promise<string> => {
      const repo = split(repository);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels }, rootfs: { type: 'layers', diff_ids: [] } }));
      const [c, l] = await Promise.all([client.pushBlobBytes(repo, config), client.pushBlobBytes(repo, layer)]);
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, size: c.size, digest: c.digest },
        layers: [{ mediaType: MediaType.dockerLayerGzip, size: l.size, digest: l.digest }],
      };
      return client.putManifest(repo, tag, { bytes: Buffer.from(JSON.stringify(manifest)), mediaType: MediaType.dockerManifest });
    };
    const baseDigest = await publish(`${proxy.host}/library/debian`, '12', {});

    // A source repository some images follow.
    const source = join(work, 'lib.git');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', source]);
    const clone = join(work, 'lib');
    execFileSync('git', ['clone', '--quiet', source, clone], { stdio: 'ignore' });
    writeFileSync(join(clone, 'lib.txt'), 'lib\n');
    const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@e', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@e' };
    execFileSync('git', ['-C', clone, 'add', '.'], { env: gitEnv });
    execFileSync('git', ['-C', clone, 'commit', '--quiet', '-m', 'lib'], { env: gitEnv });
    execFileSync('git', ['-C', clone, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main'], { env: gitEnv, stdio: 'ignore' });

    const root = join(work, 'templates');
    mkdirSync(join(root, '.coder/images'), { recursive: true });
    for (let i = 0; i < IMAGES; i++) {
      const name = `img-${i}`;
      const parent = i < 10 || random() < 0.1 ? undefined : `img-${Math.floor(random() * i)}`;
      const follows = random() < 0.2 ? `  sources: [{ git: "file://${source}", ref: main }]\n` : '';
      mkdirSync(join(root, 'images', name), { recursive: true });
      writeFileSync(join(root, 'images', name, 'Dockerfile'), `FROM ${parent ? `${proxy.host}/acme/${parent}` : base}\nCOPY ${name}.txt /\n`);
      writeFileSync(join(root, 'images', name, `${name}.txt`), `${name}\n`);
      writeFileSync(join(root, '.coder/images', `${name}.yaml`), `name: ${name}\ntype: image\nspec:\n  context: images/${name}\n  image: ${proxy.host}/acme/${name}\n${follows}`);
    }

    // Publish every image as its last build left it: parents first, labels as the scheduler writes them.
    const plan = await createPlan(root);
    const digests = new Map<string, string>();
    const origin = { created: new Date().toISOString() };
    for (const level of plan.levels) {
      await mapLimit(level, 16, async (name) => {
        const image = plan.images[name]!;
        const bases: Record<string, string> = {};
        const parents: Record<string, string> = {};
        for (const p of image.parents) {
          bases[p] = digests.get(p)!;
          parents[p] = `${destinationRepository(plan.images[p]!.repository)}@${digests.get(p)}`;
        }
        for (const reference of image.externalBases) bases[reference] = baseDigest;
        const labels = imageLabels(image, origin, combineInputHash(image.contentHash, bases), { bases, parents });
        digests.set(name, await publish(destinationRepository(image.repository), testTag(image), labels));
      });
    }

    const planStarted = process.hrtime.bigint();
    await createPlan(root);
    const planSeconds = Number(process.hrtime.bigint() - planStarted) / 1e9;
    const before = proxy.log.length;
    const started = process.hrtime.bigint();
    const result = await runNightly({
      dir: root,
      builder: countingBuilder,
      origin,
      registry: proxy.host,
      insecureRegistries: [proxy.host],
      maxParallel: 4,
      log: () => undefined,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const requests = proxy.log.slice(before);
    const writes = requests.filter((l) => !/^(GET|HEAD) /.test(l));
    const unchanged = Object.values(result.images).filter((i) => !i.changed).length;
    console.log(`nightly no-op, ${IMAGES} images (${plan.levels.length} levels, ${Object.values(plan.images).filter((i) => i.sources).length} following a source repository):`);
    console.log(
      `  changed=${result.changed}, ${unchanged}/${IMAGES} unchanged, ${builds.length} builds, ${writes.length} write requests, ${requests.length} read requests, ${seconds.toFixed(2)} s (of which planning, with one git ls-remote, ${planSeconds.toFixed(2)} s)`,
    );
    if (result.changed || builds.length > 0 || writes.length > 0) process.exitCode = 1;
  } finally {
    await proxy.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
