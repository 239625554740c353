// The buildah path for real: a base FROM busybox, a golden image on it, a child of that, built
// in order through the scheduler with the buildah builder, pushed to a loopback registry and
// smoke-tested. The child's layers must begin with its parent's exact layers.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { buildah, pushBusyboxImage } from '../harness/buildah.js';
import { BuildahBuilder } from '../../src/builders/buildah/builder.js';
import { scheduleBuilds, type ImageOutcome } from '../../src/pipeline/scheduler.js';
import type { Plan, PlannedImage } from '../../src/plan/types.js';
import { plannedImage } from '../harness/plan.js';

const run = promisify(execFile);
const SHA = 'feedface00000000000000000000000000000001';

async function manifestLayers(reference: string): Promise<string[]> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${reference}`]);
  return (JSON.parse(stdout) as { layers: { digest: string }[] }).layers.map((l) => l.digest);
}

async function localImages(): Promise<string[]> {
  return (await buildah(['images', '--format', '{{.Name}}:{{.Tag}}'])).split('\n').filter(Boolean);
}

async function localContainerImages(): Promise<string[]> {
  return (await buildah(['containers', '--format', '{{.ImageName}}'])).split('\n').filter(Boolean);
}

function image(name: string, parents: string[], from: PlannedImage['from'], extra: Partial<PlannedImage> = {}): PlannedImage {
  return plannedImage(name, parents, { from, externalBases: [], ...extra });
}

let registry: TestRegistry;
let root: string;
let busybox: string;

beforeAll(async () => {
  registry = await startRegistry();
  root = mkdtempSync(join(tmpdir(), 'bi-buildah-itg-'));
  busybox = `${registry.host}/library/busybox@${await pushBusyboxImage(`${registry.host}/library/busybox:1`)}`;
}, 120000);

afterAll(async () => {
  await registry?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function write(path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

test('base, golden and child build in order, push, pass their smoke tests and share layers', async () => {
  write('images/base/Dockerfile', 'ARG BASE\nFROM ${BASE}\nRUN echo base > /etc/base-release\n');
  write('images/golden/Dockerfile', 'FROM ghcr.io/acme/base:latest\nCOPY motd /etc/motd\nRUN echo golden >> /etc/base-release\n');
  write('images/golden/motd', 'welcome to golden\n');
  write('images/child/Dockerfile', 'FROM ghcr.io/acme/golden:latest AS build\nARG GREETING\nRUN echo "$GREETING" > /greeting\nUSER coder\n');
  const plan: Plan = {
    root,
    order: ['base', 'golden', 'child'],
    levels: [['base'], ['golden'], ['child']],
    environments: {},
    images: {
      base: image('base', [], [{ line: 2, ref: busybox, viaArg: 'BASE' }], {
        buildArgs: { BASE: busybox },
        externalBases: [busybox],
        smoke: [{ name: 'release', run: 'grep -q base /etc/base-release' }],
      }),
      golden: image('golden', ['base'], [{ line: 1, ref: 'ghcr.io/acme/base:latest', parent: 'base' }], {
        smoke: [
          { name: 'motd', run: 'cat /etc/motd' },
          { name: 'both-lines', run: 'test "$(cat /etc/base-release)" = "$(printf "base\\ngolden")"' },
        ],
      }),
      child: image('child', ['golden'], [{ line: 1, ref: 'ghcr.io/acme/golden:latest', parent: 'golden' }], {
        buildArgs: { GREETING: 'hello from child' },
        smoke: [
          { name: 'greeting', run: 'cat /greeting' },
          { name: 'user', run: 'test "$(id -u)" = 1000' },
        ],
      }),
    },
  };
  const builder = new BuildahBuilder();
  const logs: string[] = [];
  let outcomes: ImageOutcome[];
  try {
    outcomes = await scheduleBuilds({
      plan,
      builder,
      maxParallel: 2,
      origin: { commit: SHA, branch: 'feature/itg', created: '2026-11-20T00:00:00Z', sourceUrl: 'https://github.com/acme/templates' },
      registry: `${registry.host}/ci`,
      insecureRegistries: [registry.host],
      loadDockerfile: async (img) => (await import('node:fs/promises')).readFile(join(root, img.dockerfile), 'utf8'),
      contextDir: (img) => join(root, img.context),
      verify: async (img, reference, signal) => {
        const results = await builder.smoke({ name: img.name, image: reference, commands: img.smoke, insecureRegistries: [registry.host], signal, log: (l) => logs.push(`${img.name} smoke: ${l}`) });
        return { passed: results.every((r) => r.passed), results };
      },
      log: (name, line) => logs.push(`${name}: ${line}`),
    });
  } finally {
    await builder.cleanup();
  }

  expect(outcomes.map((o) => [o.name, o.status, o.reason])).toEqual([
    ['base', 'built', undefined],
    ['golden', 'built', undefined],
    ['child', 'built', undefined],
  ]);
  const [base, golden, child] = outcomes;
  for (const o of outcomes) {
    expect(o.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(o.smoke!.every((r) => r.passed)).toBe(true);
  }
  expect(golden!.smoke!.find((r) => r.name === 'motd')!.output).toContain('welcome to golden');
  expect(child!.smoke!.find((r) => r.name === 'greeting')!.output).toBe('hello from child');

  // Every tag landed on the same digest in the mapped repository.
  expect(child!.reference).toBe(`${registry.host}/ci/acme/child@${child!.digest}`);
  for (const tag of ['test', SHA, 'feature-itg', `inputs-${child!.inputHash}`]) {
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/ci/acme/child:${tag}`]);
    const inspected = JSON.parse(stdout) as { Digest: string; Labels: Record<string, string> };
    expect(inspected.Digest).toBe(child!.digest);
    expect(inspected.Labels).toMatchObject({
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.source': 'https://github.com/acme/templates',
      'org.coder.build-image.inputs': child!.inputHash,
    });
  }

  // B3: each child's layers begin with its parent's exact layers.
  const busyboxLayers = await manifestLayers(busybox);
  const baseLayers = await manifestLayers(base!.reference!);
  const goldenLayers = await manifestLayers(golden!.reference!);
  const childLayers = await manifestLayers(child!.reference!);
  expect(baseLayers.slice(0, busyboxLayers.length)).toEqual(busyboxLayers);
  expect(goldenLayers.slice(0, baseLayers.length)).toEqual(baseLayers);
  expect(childLayers.slice(0, goldenLayers.length)).toEqual(goldenLayers);
  expect(childLayers.length).toBeGreaterThan(goldenLayers.length);
  expect(logs).toContain(`golden: FROM ghcr.io/acme/base:latest pinned to ${base!.reference}`);

  // The builder's private storage is gone, and nothing went into the machine's own storage.
  expect(existsSync(builder.storageDir)).toBe(false);
  expect((await localContainerImages()).filter((i) => i.includes(registry.host))).toEqual([]);
  expect((await localImages()).filter((i) => i.includes(registry.host))).toEqual([]);
}, 300000);

function plainPlan(images: PlannedImage[]): Plan {
  return { root, order: images.map((i) => i.name), levels: [], environments: {}, images: Object.fromEntries(images.map((i) => [i.name, i])) };
}

function scheduleWith(plan: Plan, builder: BuildahBuilder, extra: Partial<Parameters<typeof scheduleBuilds>[0]> = {}) {
  return scheduleBuilds({
    plan,
    builder,
    maxParallel: 2,
    origin: { commit: SHA, created: '2026-11-20T00:00:00Z' },
    registry: registry.host,
    insecureRegistries: [registry.host],
    loadDockerfile: async (img) => (await import('node:fs/promises')).readFile(join(root, img.dockerfile), 'utf8'),
    contextDir: (img) => join(root, img.context),
    log: () => undefined,
    ...extra,
  });
}

test('a parent whose RUN fails skips its child with the reason; an independent image still builds', async () => {
  write('images/broken/Dockerfile', `FROM ${busybox}\nRUN echo about to fail && exit 3\n`);
  write('images/broken-child/Dockerfile', 'FROM ghcr.io/acme/broken\n');
  write('images/fine/Dockerfile', `FROM ${busybox}\nRUN touch /fine\n`);
  const plan = plainPlan([
    image('broken', [], [{ line: 1, ref: busybox }], { externalBases: [busybox] }),
    image('broken-child', ['broken'], [{ line: 1, ref: 'ghcr.io/acme/broken', parent: 'broken' }]),
    image('fine', [], [{ line: 1, ref: busybox }], { externalBases: [busybox] }),
  ]);
  const builder = new BuildahBuilder();
  let outcomes: ImageOutcome[];
  try {
    outcomes = await scheduleWith(plan, builder);
  } finally {
    await builder.cleanup();
  }
  const byName = Object.fromEntries(outcomes.map((o) => [o.name, o]));
  expect(byName.broken!.status).toBe('failed');
  expect(byName.broken!.reason).toMatch(/^building broken failed \(buildah exit code \d+\):\n[\s\S]*about to fail/);
  expect(byName['broken-child']).toMatchObject({ status: 'skipped', reason: "'broken' failed" });
  expect(byName.fine!.status).toBe('built');
  expect(existsSync(builder.storageDir)).toBe(false);
}, 300000);

test('cancelling in the middle of a build stops buildah and leaves nothing behind', async () => {
  write('images/slow/Dockerfile', `FROM ${busybox}\nRUN echo started && sleep 60\n`);
  write('images/slow-child/Dockerfile', 'FROM ghcr.io/acme/slow\n');
  const plan = plainPlan([image('slow', [], [{ line: 1, ref: busybox }], { externalBases: [busybox] }), image('slow-child', ['slow'], [{ line: 1, ref: 'ghcr.io/acme/slow', parent: 'slow' }])]);
  const builder = new BuildahBuilder({ runId: `cancel-test-${process.pid}` });
  const controller = new AbortController();
  const started = Date.now();
  let leftBehind: string[];
  let outcomes: ImageOutcome[];
  try {
    outcomes = await scheduleWith(plan, builder, {
      signal: controller.signal,
      log: (_name, line) => {
        if (line.includes('started')) controller.abort();
      },
    });
    // buildah killed mid-build may leave its working container: only in the private storage.
    leftBehind = (await buildah(['--root', join(builder.storageDir, 'root'), '--runroot', join(builder.storageDir, 'run'), 'containers', '--format', '{{.ContainerName}}'])).split('\n').filter(Boolean);
  } finally {
    await builder.cleanup();
  }
  expect(leftBehind.length).toBeLessThanOrEqual(1);
  expect(Date.now() - started).toBeLessThan(45000);
  expect(outcomes.map((o) => [o.name, o.status])).toEqual([
    ['slow', 'cancelled'],
    ['slow-child', 'cancelled'],
  ]);
  expect(outcomes[0]!.reason).toMatch(/cancelled while running \(slow: cancelled\)/);
  // cleanup() took the private storage, working container and all.
  expect(existsSync(builder.storageDir)).toBe(false);
  expect((await localContainerImages()).filter((i) => i.includes(registry.host))).toEqual([]);
}, 120000);

test('smoke commands share one container, each with its own result and timeout; a child of a failed parent is built on an untested parent', async () => {
  write('images/flaky/Dockerfile', `FROM ${busybox}\nRUN echo flaky > /etc/flaky\n`);
  write('images/on-flaky/Dockerfile', 'FROM ghcr.io/acme/flaky\n');
  const plan = plainPlan([
    image('flaky', [], [{ line: 1, ref: busybox }], {
      externalBases: [busybox],
      smoke: [
        { name: 'first', run: 'echo one > /tmp/shared; printf "out-one"' },
        { name: 'slow', run: 'echo going to sleep; sleep 25', timeout: 2 },
        { name: 'exit3', run: 'echo bad >&2; exit 3' },
        { name: 'shared', run: 'cat /tmp/shared' },
      ],
    }),
    image('on-flaky', ['flaky'], [{ line: 1, ref: 'ghcr.io/acme/flaky', parent: 'flaky' }], { smoke: [{ name: 'ok', run: 'test -f /etc/flaky' }] }),
  ]);
  const builder = new BuildahBuilder();
  let outcomes: ImageOutcome[];
  const started = Date.now();
  try {
    outcomes = await scheduleWith(plan, builder, {
      verify: async (img, reference, signal) => {
        const results = await builder.smoke({ name: img.name, image: reference, commands: img.smoke, insecureRegistries: [registry.host], signal, log: () => undefined });
        return { passed: results.every((r) => r.passed), results };
      },
    });
  } finally {
    await builder.cleanup();
  }
  const [flaky, onFlaky] = outcomes;
  expect(flaky).toMatchObject({ status: 'failed', reason: 'smoke tests failed: slow, exit3' });
  expect(flaky!.smoke!.map((r) => [r.name, r.passed, r.exitCode, r.output])).toEqual([
    ['first', true, 0, 'out-one'],
    ['slow', false, 124, 'going to sleep\ntimed out after 2 s'],
    ['exit3', false, 3, 'bad'],
    // Written by the first command: every command ran in the same container.
    ['shared', true, 0, 'one'],
  ]);
  expect(flaky!.smoke![1]!.durationMs).toBeGreaterThanOrEqual(1900);
  expect(flaky!.smoke![1]!.durationMs).toBeLessThan(10000);
  expect(onFlaky).toMatchObject({ status: 'built', untestedAncestors: ['flaky'], reason: "built on an untested parent: the smoke tests of 'flaky' did not pass" });
  expect(onFlaky!.smoke).toEqual([expect.objectContaining({ name: 'ok', passed: true })]);
  expect(Date.now() - started).toBeLessThan(90000);
}, 120000);
