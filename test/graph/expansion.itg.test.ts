// The FROM expansion of src/dockerfile/analyze.ts checked against the builder itself: buildah
// (vfs storage, chroot isolation) builds tiny Dockerfiles with nested ARGs FROM busybox images
// in a loopback docker-registry, and the image it resolved must be the one we computed. The
// repositories differ per case, so a wrong expansion is a failed pull, not a quiet pass.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildah, pushBusyboxImage } from '../harness/buildah.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { analyzeDockerfile } from '../../src/dockerfile/analyze.js';

let registry: TestRegistry;
let dir: string;
const built: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'bi-expansion-'));
  await pushBusyboxImage(`${registry.host}/acme/one:1`);
  // Same layers under other names: pushing them again is a manifest put, quick.
  await buildah(['pull', '--tls-verify=false', `docker://${registry.host}/acme/one:1`]);
  for (const ref of ['acme/two:2', 'jupyter/base-notebook:latest', 'acme/one:1-debug']) {
    await buildah(['push', '--tls-verify=false', `${registry.host}/acme/one:1`, `docker://${registry.host}/${ref}`]);
  }
}, 180000);

afterAll(async () => {
  // Only what this file made: the run's buildah storage is shared with the other test files.
  const pulled = (await buildah(['images', '--format', '{{.ID}} {{.Name}}']).catch(() => '')).split('\n').filter((l) => registry && l.includes(` ${registry.host}/`));
  for (const id of new Set([...built, ...pulled.map((l) => l.split(' ')[0]!)])) await buildah(['rmi', '--force', id]).catch(() => undefined);
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The FROM buildah resolved (its `STEP 1/n: FROM x` line). */
async function builderFrom(dockerfile: string, buildArgs: Record<string, string>): Promise<string> {
  const path = join(dir, `Dockerfile.${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, dockerfile);
  const out = await buildah(['build', '--isolation', 'chroot', '--tls-verify=false', '--layers=false', '--quiet=false', '--pull=missing', '-f', path, ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), dir]);
  built.push(out.split('\n').pop()!.trim());
  const step = /STEP 1\/\d+: FROM (\S+)/.exec(out);
  if (!step) throw new Error(`no FROM step in buildah's output:\n${out}`);
  return step[1]!;
}

const cases: [string, (host: string) => string, Record<string, string>, string][] = [
  ['nested ARG defaults (jupyter style)', (h) => `ARG REGISTRY=${h}\nARG OWNER=jupyter\nARG BASE_IMAGE=$REGISTRY/$OWNER/base-notebook\nFROM $BASE_IMAGE\nLABEL x=1\n`, {}, 'jupyter/base-notebook'],
  [
    'inner ARGs overridden by build args',
    (_h) => `ARG REGISTRY=quay.io\nARG OWNER=jupyter\nARG NAME=base-notebook\nARG TAG\nARG BASE_IMAGE=$REGISTRY/$OWNER/\${NAME}:\${TAG:-1}\nFROM $BASE_IMAGE\nLABEL x=1\n`,
    { REGISTRY: '@host', OWNER: 'acme', NAME: 'two', TAG: '2' },
    'acme/two:2',
  ],
  ['defaults with :- and :+', (h) => `ARG R=${h}\nARG DEBUG=yes\nARG TAG\nFROM \${R}/acme/one:\${TAG:-1}\${DEBUG:+-debug}\nLABEL x=1\n`, {}, 'acme/one:1-debug'],
  ['build arg empties a :+ switch', (h) => `ARG R=${h}\nARG DEBUG=yes\nFROM \${R}/acme/one:1\${DEBUG:+-debug}\nLABEL x=1\n`, { DEBUG: '' }, 'acme/one:1'],
  ['outer ARG overridden whole', () => `ARG REGISTRY=quay.io\nARG BASE_IMAGE=$REGISTRY/nothing/here\nFROM \${BASE_IMAGE}\nLABEL x=1\n`, { BASE_IMAGE: '@host/acme/one:1' }, 'acme/one:1'],
];

test.each(cases)('%s: our expansion is the image buildah builds from', async (_name, dockerfile, rawArgs, expected) => {
  const host = registry.host;
  const text = dockerfile(host);
  const args = Object.fromEntries(Object.entries(rawArgs).map(([k, v]) => [k, v.replace('@host', host)]));
  const ours = analyzeDockerfile(text, args);
  expect(ours.problems).toEqual([]);
  const computed = ours.froms[0]!.image;
  expect(computed).toBe(`${host}/${expected}`);
  expect(await builderFrom(text, args)).toBe(computed);
});
