import { remainingCriticalPath, runGraph, scheduleBuilds, withAncestors, type BuildAvoidance, type ScheduleOptions } from './scheduler.js';
import type { Plan, PlannedImage } from '../plan/types.js';
import { plannedImage, planOf } from '../../test/harness/plan.js';
import type { Builder, BuildRequest, BuildResult, SmokeResult } from '../builders/types.js';

const SHA = 'c0ffee0000000000000000000000000000000001';
const REGISTRY = '127.0.0.1:5000';

const image = plannedImage;

const digestOf = (name: string): string => `sha256:${Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64)}`;

/** A builder whose builds finish when the test says so (or after `autoMs`), recording what happened. */
class FakeBuilder implements Builder {
  readonly kind = 'buildah' as const;
  events: string[] = [];
  requests = new Map<string, BuildRequest>();
  running = 0;
  maxRunning = 0;
  private waiters = new Map<string, { resolve: (r: BuildResult) => void; reject: (e: Error) => void }>();
  constructor(private readonly behaviour: { fail?: string[]; manual?: boolean } = {}) {}

  build(request: BuildRequest): Promise<BuildResult> {
    this.requests.set(request.name, request);
    this.events.push(`start ${request.name}`);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise<BuildResult>((resolve, reject) => {
      let settled = false;
      const done = (result: BuildResult | Error): void => {
        if (settled) return;
        settled = true;
        this.running--;
        this.events.push(`end ${request.name}`);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      this.waiters.set(request.name, { resolve: done, reject: done });
      request.signal?.addEventListener('abort', () => done(new Error(`build of ${request.name} aborted`)));
      if (!this.behaviour.manual) setImmediate(() => this.finish(request.name));
    });
  }

  finish(name: string): void {
    const waiter = this.waiters.get(name);
    if (!waiter) throw new Error(`${name} is not running`);
    this.waiters.delete(name);
    if (this.behaviour.fail?.includes(name)) waiter.reject(new Error(`RUN make: exit status 2`));
    else waiter.resolve({ digest: digestOf(name), durationMs: 1 });
  }

  async waitStarted(name: string): Promise<void> {
    while (!this.waiters.has(name)) await new Promise((r) => setImmediate(r));
  }

  smoke(): Promise<SmokeResult[]> {
    throw new Error('not used');
  }
  async cleanup(): Promise<void> {}
}

function options(plan: Plan, builder: Builder, extra: Partial<ScheduleOptions> = {}): ScheduleOptions {
  return {
    plan,
    builder,
    maxParallel: 4,
    origin: { commit: SHA, branch: 'main', created: '2026-11-20T00:00:00Z' },
    registry: REGISTRY,
    insecureRegistries: [REGISTRY],
    inputHash: (content, bases) =>
      `sha256:${Buffer.from([content, ...Object.values(bases)].join('|'))
        .toString('hex')
        .slice(0, 64)
        .padEnd(64, '0')}`,
    loadDockerfile: async (img) => img.from.map((f) => `FROM ${f.ref}`).join('\n') + '\nRUN true\n',
    contextDir: (img) => `/repo/${img.context}`,
    log: () => undefined,
    ...extra,
  };
}

test('parents are built first and children are pinned to the digest the parent produced', async () => {
  const plan = planOf(image('base'), image('golden', ['base']), image('child', ['golden']));
  const builder = new FakeBuilder();
  const outcomes = await scheduleBuilds(options(plan, builder));
  expect(builder.events).toEqual(['start base', 'end base', 'start golden', 'end golden', 'start child', 'end child']);
  expect(builder.requests.get('golden')!.dockerfile).toBe(`FROM ${REGISTRY}/acme/base@${digestOf('base')}\nRUN true\n`);
  expect(builder.requests.get('child')!.dockerfile).toBe(`FROM ${REGISTRY}/acme/golden@${digestOf('golden')}\nRUN true\n`);
  expect(builder.requests.get('child')!.destinations[0]).toBe(`${REGISTRY}/acme/child:test`);
  expect(builder.requests.get('child')!.labels['org.opencontainers.image.revision']).toBe(SHA);
  expect(outcomes.map((o) => [o.name, o.status, o.digest])).toEqual([
    ['base', 'built', digestOf('base')],
    ['golden', 'built', digestOf('golden')],
    ['child', 'built', digestOf('child')],
  ]);
  expect(outcomes[2]!.reference).toBe(`${REGISTRY}/acme/child@${digestOf('child')}`);
  expect(outcomes[2]!.tags).toEqual(['test', SHA, 'main', expect.stringMatching(/^inputs-/)]);
});

test('the input hash combines the content hash with the parent and outside base digests', async () => {
  const pinnedBase = `registry.example/os@sha256:${'d'.repeat(64)}`;
  const plan = planOf(image('base', [], { externalBases: ['busybox:1.36', pinnedBase] }), image('child', ['base']));
  const seen: [string, Readonly<Record<string, string>>][] = [];
  const looked: string[] = [];
  const outcomes = await scheduleBuilds(
    options(plan, new FakeBuilder(), {
      inputHash: (c, b) => (seen.push([c, b]), `sha256:${'1'.repeat(63)}${seen.length}`),
      baseDigest: async (ref) => (looked.push(ref), `sha256:${'b'.repeat(64)}`),
    }),
  );
  expect(looked).toEqual(['busybox:1.36']);
  expect(seen).toEqual([
    ['content-base', { 'busybox:1.36': `sha256:${'b'.repeat(64)}`, [pinnedBase]: `sha256:${'d'.repeat(64)}` }],
    ['content-child', { base: digestOf('base') }],
  ]);
  expect(outcomes[1]!.inputHash).toBe(`sha256:${'1'.repeat(63)}2`);
  expect(outcomes[1]!.tags).toContain(`inputs-${'1'.repeat(63)}2`);
});

test('at most maxParallel builds run at once', async () => {
  const plan = planOf(...['a', 'b', 'c', 'd', 'e', 'f'].map((n) => image(n)));
  const builder = new FakeBuilder();
  await scheduleBuilds(options(plan, builder, { maxParallel: 2 }));
  expect(builder.maxRunning).toBe(2);
  expect(builder.events.filter((e) => e.startsWith('end'))).toHaveLength(6);
});

test('a child starts as soon as its own parents are done, not when its level is', async () => {
  // slow and fast are both level 0; fast-child must not wait for slow.
  const plan = planOf(image('slow'), image('fast'), image('fast-child', ['fast']));
  const builder = new FakeBuilder({ manual: true });
  const run = scheduleBuilds(options(plan, builder));
  await builder.waitStarted('slow');
  await builder.waitStarted('fast');
  builder.finish('fast');
  await builder.waitStarted('fast-child');
  builder.finish('fast-child');
  builder.finish('slow');
  await run;
  expect(builder.events).toEqual(['start fast', 'start slow', 'end fast', 'start fast-child', 'end fast-child', 'end slow']);
});

test('when several are ready, the longest remaining critical path goes first', async () => {
  // With one slot: leaf is first in plan order, but chain1 heads a chain of three; once the
  // chain's remaining path is no longer than leaf's, plan order breaks the tie.
  const plan = planOf(image('leaf'), image('chain1'), image('chain2', ['chain1']), image('chain3', ['chain2']));
  const builder = new FakeBuilder();
  await scheduleBuilds(options(plan, builder, { maxParallel: 1 }));
  expect(builder.events.filter((e) => e.startsWith('start'))).toEqual(['start chain1', 'start chain2', 'start leaf', 'start chain3']);
});

test('estimated durations steer the priority', () => {
  const tasks = [
    { name: 'a', parents: [] },
    { name: 'b', parents: ['a'] },
    { name: 'c', parents: [] },
  ];
  expect(Object.fromEntries(remainingCriticalPath(tasks))).toEqual({ a: 2, b: 1, c: 1 });
  expect(Object.fromEntries(remainingCriticalPath(tasks, { a: 1, b: 1, c: 5 }))).toEqual({ a: 2, b: 1, c: 5 });
});

test('a failed parent skips its descendants; independent images go on', async () => {
  const plan = planOf(image('base'), image('golden', ['base']), image('child', ['golden']), image('other'), image('other-child', ['other']));
  const builder = new FakeBuilder({ fail: ['base'] });
  const settled: string[] = [];
  const outcomes = await scheduleBuilds(options(plan, builder, { onSettled: (o) => settled.push(`${o.name}:${o.status}`) }));
  const byName = Object.fromEntries(outcomes.map((o) => [o.name, o]));
  expect(byName.base!.status).toBe('failed');
  expect(byName.base!.reason).toBe('RUN make: exit status 2');
  expect(byName.golden).toMatchObject({ status: 'skipped', reason: "'base' failed", durationMs: 0 });
  expect(byName.child).toMatchObject({ status: 'skipped', reason: "'base' failed" });
  expect(byName['other-child']!.status).toBe('built');
  expect(builder.requests.has('golden')).toBe(false);
  expect(settled.sort()).toEqual(['base:failed', 'child:skipped', 'golden:skipped', 'other-child:built', 'other:built']);
});

test('images whose input hash is in the registry are reused, tagged, and children build on the reused digest', async () => {
  const plan = planOf(image('base'), image('child', ['base']));
  const reusedDigest = `sha256:${'e'.repeat(64)}`;
  const tagged: [string, string, readonly string[]][] = [];
  const avoidance: BuildAvoidance = {
    find: async ({ name }) => (name === 'base' ? reusedDigest : undefined),
    tag: async (repository, digest, tags) => void tagged.push([repository, digest, tags]),
  };
  const builder = new FakeBuilder();
  const outcomes = await scheduleBuilds(options(plan, builder, { avoidance }));
  expect(outcomes.map((o) => [o.name, o.status])).toEqual([
    ['base', 'reused'],
    ['child', 'built'],
  ]);
  expect(outcomes[0]!.digest).toBe(reusedDigest);
  expect(builder.requests.has('base')).toBe(false);
  expect(tagged).toEqual([[`${REGISTRY}/acme/base`, reusedDigest, ['test', SHA, 'main', expect.stringMatching(/^inputs-/)]]]);
  expect(builder.requests.get('child')!.dockerfile).toContain(`FROM ${REGISTRY}/acme/base@${reusedDigest}`);
});

test('only the requested images and their ancestors run', async () => {
  // plan.order lists the selected images only; ancestors come from plan.images.
  const plan = { ...planOf(image('base'), image('golden', ['base']), image('child', ['golden']), image('other')), order: ['golden'] };
  expect(withAncestors(plan, ['golden'])).toEqual(['base', 'golden']);
  const builder = new FakeBuilder();
  const outcomes = await scheduleBuilds(options(plan, builder, { names: ['golden'] }));
  expect(outcomes.map((o) => [o.name, o.requested])).toEqual([
    ['base', false],
    ['golden', true],
  ]);
  expect((await scheduleBuilds(options(plan, new FakeBuilder()))).map((o) => [o.name, o.requested])).toEqual([
    ['base', false],
    ['golden', true],
  ]);
  expect(() => withAncestors(plan, ['nope'])).toThrow("no image named 'nope' in the plan (known: base, golden, child, other)");
});

test('cancellation aborts the running build and starts nothing new', async () => {
  const plan = planOf(image('a'), image('b'), image('a-child', ['a']), image('c'));
  const builder = new FakeBuilder({ manual: true });
  const controller = new AbortController();
  const run = scheduleBuilds(options(plan, builder, { maxParallel: 2, signal: controller.signal }));
  await builder.waitStarted('a');
  await builder.waitStarted('b');
  builder.finish('b');
  await builder.waitStarted('c');
  controller.abort();
  const outcomes = await run;
  expect(Object.fromEntries(outcomes.map((o) => [o.name, o.status]))).toEqual({ a: 'cancelled', b: 'built', 'a-child': 'cancelled', c: 'cancelled' });
  expect(outcomes.find((o) => o.name === 'a')!.reason).toMatch(/cancelled while running \(build of a aborted\)/);
  expect(outcomes.find((o) => o.name === 'a-child')!.reason).toBe('the run was cancelled before it started');
  expect(builder.requests.has('a-child')).toBe(false);
  expect(builder.running).toBe(0);
});

test('an already aborted signal runs nothing', async () => {
  const builder = new FakeBuilder();
  const outcomes = await scheduleBuilds(options(planOf(image('a')), builder, { signal: AbortSignal.abort() }));
  expect(outcomes[0]!.status).toBe('cancelled');
  expect(builder.events).toEqual([]);
});

/** Smoke checks that finish when the test says so, recording the order of events. */
function manualVerify(events: string[]) {
  const pending = new Map<string, (passed: boolean) => void>();
  return {
    verify: (img: PlannedImage, ref: string): Promise<{ passed: boolean; results: SmokeResult[] }> => {
      events.push(`smoke ${img.name}`);
      return new Promise((resolve) =>
        pending.set(img.name, (passed) => {
          events.push(`smoked ${img.name}`);
          resolve({ passed, results: [{ name: 'sh', passed, exitCode: passed ? 0 : 1, output: ref, durationMs: 1 }] });
        }),
      );
    },
    async settle(name: string, passed: boolean): Promise<void> {
      while (!pending.has(name)) await new Promise((r) => setImmediate(r));
      pending.get(name)!(passed);
      pending.delete(name);
    },
  };
}

test("a child builds while its parent is smoke-tested; its outcome waits for the parent's tests", async () => {
  const plan = planOf(image('base'), image('child', ['base']));
  const builder = new FakeBuilder({ manual: true });
  const settled: string[] = [];
  const smoke = manualVerify(builder.events);
  const run = scheduleBuilds(options(plan, builder, { verify: smoke.verify, onBuilt: (name) => settled.push(`${name}:pushed`), onSettled: (o) => settled.push(`${o.name}:${o.status}`) }));
  await builder.waitStarted('base');
  builder.finish('base');
  await builder.waitStarted('child');
  builder.finish('child');
  await smoke.settle('child', true);
  // The child is built and tested, but its outcome is not final while its parent's tests run.
  await new Promise((r) => setImmediate(r));
  expect(settled).toEqual(['base:pushed', 'child:pushed']);
  await smoke.settle('base', true);
  const outcomes = await run;
  expect(builder.events).toEqual(['start base', 'end base', 'smoke base', 'start child', 'end child', 'smoke child', 'smoked child', 'smoked base']);
  expect(settled).toEqual(['base:pushed', 'child:pushed', 'base:built', 'child:built']);
  expect(outcomes.map((o) => [o.name, o.status, o.untestedAncestors, o.reason])).toEqual([
    ['base', 'built', undefined, undefined],
    ['child', 'built', undefined, undefined],
  ]);
});

test('failed smoke tests fail the image; its descendants are built on an untested parent', async () => {
  const plan = planOf(image('base', [], { smoke: [{ name: 'sh', run: 'false' }] }), image('child', ['base']), image('grandchild', ['child']), image('other'));
  const builder = new FakeBuilder();
  const smoke = manualVerify(builder.events);
  const run = scheduleBuilds(options(plan, builder, { verify: smoke.verify }));
  await smoke.settle('child', true);
  await smoke.settle('grandchild', true);
  await smoke.settle('other', true);
  await smoke.settle('base', false);
  const outcomes = Object.fromEntries((await run).map((o) => [o.name, o]));
  expect(builder.events.filter((e) => e.startsWith('start'))).toEqual(['start base', 'start other', 'start child', 'start grandchild']);
  expect(outcomes.base).toMatchObject({ status: 'failed', reason: 'smoke test failed: sh', digest: digestOf('base'), smoke: [{ name: 'sh', passed: false }] });
  expect(outcomes.child).toMatchObject({
    status: 'built',
    digest: digestOf('child'),
    untestedAncestors: ['base'],
    reason: "built on an untested parent: the smoke tests of 'base' did not pass",
  });
  expect(outcomes.grandchild).toMatchObject({ status: 'built', untestedAncestors: ['base'] });
  expect(outcomes.other!.untestedAncestors).toBeUndefined();
});

test('a smoke test that cannot run fails the image; a failed build still skips its descendants', async () => {
  const plan = planOf(image('base'), image('child', ['base']), image('broken'), image('broken-child', ['broken']));
  const builder = new FakeBuilder({ fail: ['broken'] });
  const outcomes = Object.fromEntries(
    (
      await scheduleBuilds(
        options(plan, builder, {
          verify: async (img) => {
            if (img.name === 'base') throw new Error('no such image');
            return { passed: true, results: [] };
          },
        }),
      )
    ).map((o) => [o.name, o]),
  );
  expect(outcomes.base).toMatchObject({ status: 'failed', reason: 'smoke tests could not run: no such image', digest: digestOf('base') });
  expect(outcomes.child).toMatchObject({ status: 'built', untestedAncestors: ['base'] });
  expect(outcomes.broken).toMatchObject({ status: 'failed', reason: 'RUN make: exit status 2' });
  expect(outcomes['broken-child']).toMatchObject({ status: 'skipped', reason: "'broken' failed" });
  expect(builder.requests.has('broken-child')).toBe(false);
});

test('smoke tests are limited to maxParallel at a time', async () => {
  const plan = planOf(...['a', 'b', 'c', 'd', 'e'].map((n) => image(n)));
  let running = 0;
  let peak = 0;
  await scheduleBuilds(
    options(plan, new FakeBuilder(), {
      maxParallel: 2,
      verify: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return { passed: true, results: [] };
      },
    }),
  );
  expect(peak).toBe(2);
});

test('FROM ${BASE} parents are pinned through the build argument', async () => {
  const child = image('child', ['base'], {
    from: [{ line: 2, ref: 'ghcr.io/acme/base:latest', parent: 'base', viaArg: 'BASE' }],
    buildArgs: { BASE: 'ghcr.io/acme/base:latest' },
  });
  const builder = new FakeBuilder();
  await scheduleBuilds(options(planOf(image('base'), child), builder, { loadDockerfile: async () => 'ARG BASE\nFROM ${BASE}\n' }));
  expect(builder.requests.get('child')!.buildArgs).toEqual({ BASE: `${REGISTRY}/acme/base@${digestOf('base')}` });
  expect(builder.requests.get('child')!.dockerfile).toBe('ARG BASE\nFROM ${BASE}\n');
});

test('runGraph refuses a bad max-parallel and a cycle', async () => {
  const run = async (): Promise<number> => 1;
  await expect(runGraph([{ name: 'a', parents: [] }], { maxParallel: 0, run })).rejects.toThrow('max-parallel must be a whole number of at least 1, not 0');
  await expect(
    runGraph(
      [
        { name: 'a', parents: ['b'] },
        { name: 'b', parents: ['a'] },
      ],
      { maxParallel: 1, run },
    ),
  ).rejects.toThrow('cycle');
});

test('a task that throws synchronously fails without crashing the run', async () => {
  const states = await runGraph(
    [
      { name: 'a', parents: [] },
      { name: 'b', parents: ['a'] },
    ],
    {
      maxParallel: 1,
      run: (): Promise<number> => {
        throw new Error('boom');
      },
    },
  );
  expect(states.get('a')).toMatchObject({ state: 'failed' });
  expect(states.get('b')).toEqual({ state: 'skipped', reason: "'a' failed" });
});

test('by default the input hash is combineInputHash over parents by name', async () => {
  const { combineInputHash } = await import('../graph/hash.js');
  const plan = planOf(image('base'), image('child', ['base']));
  const outcomes = await scheduleBuilds({ ...options(plan, new FakeBuilder()), inputHash: undefined });
  expect(outcomes[1]!.inputHash).toBe(combineInputHash('content-child', { base: digestOf('base') }));
});

test('a reuse lookup that fails fails the image, naming the cause', async () => {
  const avoidance: BuildAvoidance = {
    find: async () => {
      throw new Error('registry unreachable');
    },
    tag: async () => undefined,
  };
  const builder = new FakeBuilder();
  const outcomes = await scheduleBuilds(options(planOf(image('a'), image('b', ['a'])), builder, { avoidance }));
  expect(outcomes.map((o) => [o.name, o.status, o.reason])).toEqual([
    ['a', 'failed', 'registry unreachable'],
    ['b', 'skipped', "'a' failed"],
  ]);
  expect(builder.requests.size).toBe(0);
});

test('cancelling while the last smoke tests run stops them; the image is cancelled', async () => {
  const controller = new AbortController();
  const outcomes = await scheduleBuilds(
    options(planOf(image('a')), new FakeBuilder(), {
      signal: controller.signal,
      verify: (_img, _ref, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new Error('smoke container killed')));
          setImmediate(() => controller.abort());
        }),
    }),
  );
  expect(outcomes[0]).toMatchObject({ status: 'cancelled', reason: 'cancelled during the smoke tests: smoke container killed', digest: digestOf('a') });
});
