// End to end on examples/: validate, plan, build in order with buildah, push to a loopback
// registry, smoke-test; then again, where every image is reused (G4) instead of rebuilt.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestRegistry } from '../harness/registry.js';
import { registryWithBusybox } from '../harness/buildah.js';
import { BuildahBuilder } from '../../src/builders/buildah/builder.js';
import { runPipeline, type PipelineOptions } from '../../src/pipeline/pipeline.js';
import { summaryMarkdown, imagesOutput } from '../../src/pipeline/report.js';
import type { Builder, BuildRequest } from '../../src/builders/types.js';

const run = promisify(execFile);
const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const EXAMPLES = join(process.cwd(), 'examples');

async function layers(reference: string): Promise<string[]> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reference}`]);
  return (JSON.parse(stdout) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
}

/** The real builder, counting the builds it was asked for. */
class CountingBuilder extends BuildahBuilder {
  built: string[] = [];
  override build(request: BuildRequest) {
    this.built.push(request.name);
    return super.build(request);
  }
}

let registry: TestRegistry;
let busybox: string;

beforeAll(async () => {
  ({ registry, busybox } = await registryWithBusybox());
}, 120000);

afterAll(async () => {
  await registry?.stop();
});

function options(builder: Builder, extra: Partial<PipelineOptions> = {}): PipelineOptions {
  return {
    dir: EXAMPLES,
    selection: { kind: 'all' },
    builder,
    origin: { commit: SHA, branch: 'main', created: '2026-11-20T12:00:00Z' },
    registry: registry.host,
    insecureRegistries: [registry.host],
    maxParallel: 2,
    buildArgs: { BASE_IMAGE: busybox },
    log: () => undefined,
    ...extra,
  };
}

test('the examples build in order, pass their smoke tests, and are reused on the next run', async () => {
  const first = new CountingBuilder();
  const lines: string[] = [];
  let result;
  try {
    result = await runPipeline(options(first, { log: (name, line) => lines.push(`${name}: ${line}`) }));
  } finally {
    await first.cleanup();
  }
  const statuses = Object.fromEntries(Object.values(result.images).map((r) => [r.name, [r.status, r.smoke, r.reason]]));
  expect(statuses).toEqual({
    base: ['built', 'passed', undefined],
    golden: ['built', 'passed', undefined],
    'team-dev': ['built', 'passed', undefined],
  });
  expect(result.ok).toBe(true);
  expect(first.built).toEqual(['base', 'golden', 'team-dev']);
  const { base, golden } = result.images;
  const teamDev = result.images['team-dev']!;
  expect(teamDev.reference).toBe(`${registry.host}/acme/team-dev@${teamDev.digest}`);
  expect(teamDev.tags.slice(0, 3)).toEqual(['ubuntu-test', `ubuntu-${SHA}`, 'ubuntu-main']);
  expect((await layers(teamDev.reference!)).slice(0, (await layers(golden!.reference!)).length)).toEqual(await layers(golden!.reference!));
  expect((await layers(golden!.reference!)).slice(0, (await layers(base!.reference!)).length)).toEqual(await layers(base!.reference!));
  expect(lines).toContain(`golden: FROM ghcr.io/acme/base:latest pinned to ${base!.reference}`);

  const summary = summaryMarkdown(result);
  expect(summary).toContain('```mermaid\nflowchart TD');
  expect(summary).toMatch(/\| team-dev \| built \| `sha256:[0-9a-f]{12}…` \| \d+\.\d s \| passed \(2\) \|/);
  expect(imagesOutput(result)['team-dev']).toMatchObject({ status: 'built', digest: teamDev.digest, smoke: 'passed' });

  // Same inputs again: nothing is rebuilt, the same digests come back, and smoke tests still run.
  const second = new CountingBuilder();
  let again;
  try {
    again = await runPipeline(options(second, { origin: { commit: SHA.replace('a', 'b'), branch: 'next', created: '2026-11-21T12:00:00Z' } }));
  } finally {
    await second.cleanup();
  }
  expect(second.built).toEqual([]);
  expect(Object.values(again.images).map((r) => [r.name, r.status, r.digest, r.smoke])).toEqual(Object.values(result.images).map((r) => [r.name, 'reused', r.digest, 'passed']));
  // The new commit's tags point at the reused digest.
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/acme/golden:next`]);
  expect(JSON.parse(stdout).Digest).toBe(golden!.digest);
}, 300000);

test('a named image brings its ancestors along without rebuilding them', async () => {
  const builder = new CountingBuilder();
  let result;
  try {
    result = await runPipeline(options(builder, { selection: { kind: 'names', names: ['golden'] }, smoke: false }));
  } finally {
    await builder.cleanup();
  }
  // The first test pushed these inputs already (same registry, same examples).
  expect(Object.values(result.images).map((r) => [r.name, r.requested, r.status, r.smoke])).toEqual([
    ['base', false, 'reused', 'not run'],
    ['golden', true, 'reused', 'not run'],
  ]);
  expect(builder.built).toEqual([]);
}, 300000);
