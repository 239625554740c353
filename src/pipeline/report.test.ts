import { outcomeOf, summaryMarkdown } from './report.js';
import type { ImageReport, PipelineResult } from './pipeline.js';
import type { PlannedImage } from '../plan/types.js';
import { plannedImage } from '../../test/harness/plan.js';

const D = `sha256:${'cd'.repeat(32)}`;

// The harness's planned image, as these summaries were written against: no FROM lines, context = name.
function planned(name: string, parents: string[] = [], reasons: string[] = []): PlannedImage {
  return plannedImage(name, parents, { context: name, dockerfile: `${name}/Dockerfile`, from: [], externalBases: [], reasons: reasons, contentHash: 'x' });
}

function report(name: string, status: ImageReport['status'], extra: Partial<ImageReport> = {}): ImageReport {
  return { name, status, requested: true, repository: `r/acme/${name}`, tags: ['test', 'main'], durationMs: 1000, smoke: 'passed', ...extra };
}

test.each<[string, ImageReport | undefined, string]>([
  ['built and passed', report('a', 'built'), 'built'],
  ['built, smoke failed', report('a', 'built', { smoke: 'failed' }), 'failed'],
  ['built, no smoke tests', report('a', 'built', { smoke: 'none' }), 'untested'],
  ['reused', report('a', 'reused', { smoke: 'none' }), 'reused'],
  ['skipped', report('a', 'skipped', { smoke: 'not run' }), 'skipped'],
  ['not in the run', undefined, 'unchanged'],
])('outcomeOf: %s', (_t, r, expected) => {
  expect(outcomeOf(r)).toBe(expected);
});

test('the graph is coloured by outcome; pushed references, tags and why are listed', () => {
  const result: PipelineResult = {
    ok: false,
    plan: {
      root: '/repo',
      order: ['base', 'app', 'child'],
      levels: [['base', 'lone'], ['app'], ['child']],
      environments: {},
      images: { base: planned('base'), app: planned('app', ['base'], ['Dockerfile changed']), child: planned('child', ['app']), lone: planned('lone') },
    },
    images: {
      base: report('base', 'reused', { reference: `r/acme/base@${D}`, digest: D, requested: false, smoke: 'none' }),
      app: report('app', 'failed', { reference: `r/acme/app@${D}`, digest: D, smoke: 'failed', reason: 'smoke test failed: x' }),
      child: report('child', 'skipped', { tags: [], smoke: 'not run', reason: "'app' failed" }),
    },
  };
  const md = summaryMarkdown(result);
  expect(md).toContain('class n_base reused;');
  expect(md).toContain('class n_app failed;');
  expect(md).toContain('class n_child skipped;');
  expect(md).toContain('class n_lone unchanged;');
  expect(md).toMatch(/classDef failed fill:#fee2e2/);
  expect(md).toContain('🟥 failed');
  expect(md).toContain(`| app | \`r/acme/app@${D}\` | \`test\` \`main\` | Dockerfile changed |`);
  expect(md).toContain(`| base | \`r/acme/base@${D}\` | \`test\` \`main\` | inputs unchanged: the image built before is reused |`);
});

test('smoke output cannot close its code fence', () => {
  const result: PipelineResult = {
    ok: false,
    plan: { root: '/repo', order: ['a'], levels: [['a']], environments: {}, images: { a: planned('a') } },
    images: { a: report('a', 'failed', { smoke: 'failed', reason: 'smoke', smokeResults: [{ name: 't', passed: false, exitCode: 1, output: '```\n# heading', durationMs: 1 }] }) },
  };
  expect(summaryMarkdown(result)).toContain('````\n```\n# heading\n````');
});
