import { type PipelineResult } from './pipeline.js';
import { imagesOutput, summaryMarkdown, summaryText } from './report.js';
import type { PlannedImage } from '../plan/types.js';
import { plannedImage } from '../../test/harness/plan.js';

// The harness's planned image, as these summaries were written against: no FROM lines, context = name.
function planned(name: string, parents: string[] = []): PlannedImage {
  return plannedImage(name, parents, { context: name, dockerfile: `${name}/Dockerfile`, from: [], externalBases: [], reasons: [], contentHash: 'x' });
}

const D = `sha256:${'ab'.repeat(32)}`;
const result: PipelineResult = {
  ok: false,
  plan: {
    root: '/repo',
    order: ['base', 'golden', 'child', 'other'],
    levels: [],
    images: { base: planned('base'), golden: planned('golden', ['base']), child: planned('child', ['golden']), other: planned('other') },
    environments: {},
  },
  images: {
    base: { name: 'base', status: 'reused', requested: false, repository: 'r/acme/base', reference: `r/acme/base@${D}`, digest: D, tags: ['test'], durationMs: 120, smoke: 'none' },
    golden: {
      name: 'golden',
      status: 'failed',
      requested: true,
      repository: 'r/acme/golden',
      reference: `r/acme/golden@${D}`,
      digest: D,
      tags: ['test'],
      durationMs: 75_500,
      smoke: 'failed',
      reason: 'smoke test failed: motd',
      smokeResults: [
        { name: 'git', passed: true, exitCode: 0, output: 'git version 2', durationMs: 5 },
        { name: 'motd', passed: false, exitCode: 1, output: 'cat: /etc/motd: No such file | or directory', durationMs: 5 },
      ],
    },
    child: { name: 'child', status: 'skipped', requested: true, repository: 'r/acme/child', tags: [], durationMs: 0, smoke: 'not run', reason: "'golden' failed" },
    other: {
      name: 'other',
      status: 'built',
      requested: true,
      repository: 'r/acme/other',
      reference: `r/acme/other@${D}`,
      digest: D,
      tags: ['test'],
      durationMs: 3_000,
      smoke: 'passed',
      smokeResults: [{ name: 'sh', passed: true, exitCode: 0, output: '', durationMs: 1 }],
    },
  },
};

test('the job summary: counts, graph, a row per image, and what went wrong', () => {
  const md = summaryMarkdown(result);
  expect(md).toContain('## build-image: some images did not build');
  expect(md).toContain('1 built, 1 reused, 1 failed, 1 skipped.');
  expect(md).toContain('```mermaid\nflowchart TD');
  expect(md).toContain('| base (ancestor) | reused | `sha256:abababababab…` | 0.1 s | none |');
  expect(md).toContain('| golden | failed | `sha256:abababababab…` | 1 min 16 s | failed: motd (exit code 1) |');
  expect(md).toContain('| child | skipped |  |  | not run |');
  expect(md).toContain('| other | built | `sha256:abababababab…` | 3.0 s | passed (1) |');
  expect(md).toContain("- **child** skipped: 'golden' failed");
  expect(md).toContain('<summary>golden: smoke test motd (exit code 1)</summary>');
  expect(md).toContain('cat: /etc/motd: No such file | or directory');
});

test('nothing to build says so', () => {
  const empty: PipelineResult = { ok: true, plan: { ...result.plan, order: [] }, images: {} };
  expect(summaryMarkdown(empty)).toContain('Nothing to build: no image changed.');
});

test('the images output is keyed by name', () => {
  const out = imagesOutput(result);
  expect(Object.keys(out)).toEqual(['base', 'golden', 'child', 'other']);
  expect(out.child).toEqual({ status: 'skipped', digest: null, reference: null, repository: 'r/acme/child', tags: [], smoke: 'not run', durationMs: 0, reason: "'golden' failed" });
  expect(out.other).toEqual({ status: 'built', digest: D, reference: `r/acme/other@${D}`, repository: 'r/acme/other', tags: ['test'], smoke: 'passed', durationMs: 3000, promote: { from: 'test', to: ['latest'] } });
  expect(out.golden).not.toHaveProperty('promote');
});

test('the CLI table lines up and lists the reasons', () => {
  const text = summaryText(result).split('\n');
  expect(text[0]).toMatch(/^IMAGE\s+RESULT\s+REFERENCE\s+TIME\s+SMOKE$/);
  expect(text[3]).toMatch(/^child\s+skipped\s+not run$/);
  expect(text).toContain("child: skipped: 'golden' failed");
});

test('an image built on an untested parent is reported so and gets no promote hint', () => {
  const untested: PipelineResult = {
    ...result,
    images: {
      ...result.images,
      child: {
        name: 'child',
        status: 'built',
        requested: true,
        repository: 'r/acme/child',
        reference: `r/acme/child@${D}`,
        digest: D,
        tags: ['test'],
        durationMs: 1_000,
        smoke: 'passed',
        untestedAncestors: ['golden'],
        reason: "built on an untested parent: the smoke tests of 'golden' did not pass",
      },
    },
  };
  const out = imagesOutput(untested);
  expect(out.child).toMatchObject({ status: 'built', smoke: 'passed', untestedAncestors: ['golden'] });
  expect(out.child).not.toHaveProperty('promote');
  const md = summaryMarkdown(untested);
  expect(md).toContain('| child | built on an untested parent |');
  expect(md).toContain("- **child** built: built on an untested parent: the smoke tests of 'golden' did not pass");
  expect(summaryText(untested)).toMatch(/\nchild\s+built \(untested parent\)\s+r\/acme\/child@/);
});
