import { promotionSummaryMarkdown, requestsFromBuild } from './promote.js';

const D = `sha256:${'a'.repeat(64)}`;

test('promotion requests come from what the build tested; the rest are left out with why', () => {
  const { requests, notPromoted } = requestsFromBuild({
    base: { status: 'built', digest: D, repository: '127.0.0.1:5000/acme/base', smoke: 'passed', promote: { from: 'test', to: ['latest'] } },
    dev: { status: 'reused', digest: D, repository: 'ghcr.io/acme/dev', smoke: 'none', promote: { from: 'ubuntu-test', to: ['ubuntu'] } },
    broken: { status: 'built', digest: D, repository: 'ghcr.io/acme/broken', smoke: 'failed' },
    child: { status: 'skipped', digest: null, repository: 'ghcr.io/acme/child', smoke: 'not run' },
  });
  expect(requests).toEqual([
    { source: { registry: '127.0.0.1:5000', repository: 'acme/base' }, fromTag: 'test', digest: D, targets: [{ registry: '127.0.0.1:5000', repository: 'acme/base', tag: 'latest' }] },
    { source: { registry: 'ghcr.io', repository: 'acme/dev' }, fromTag: 'ubuntu-test', digest: D, targets: [{ registry: 'ghcr.io', repository: 'acme/dev', tag: 'ubuntu' }] },
  ]);
  expect(notPromoted).toEqual([
    { name: 'broken', repository: 'ghcr.io/acme/broken', reason: 'its smoke tests failed' },
    { name: 'child', repository: 'ghcr.io/acme/child', reason: 'not built (a parent failed)' },
  ]);
});

test('the summary lists what moved and what was not promoted, with why', () => {
  const { notPromoted } = requestsFromBuild({
    ok: { status: 'built', digest: D, repository: 'r/acme/ok', smoke: 'passed', promote: { from: 'test', to: ['latest'] } },
    broken: { status: 'built', digest: D, repository: 'r/acme/broken', smoke: 'failed', reason: 'smoke test failed: git' },
    bad: { status: 'failed', digest: null, repository: 'r/acme/bad', smoke: 'not run', reason: 'RUN exited 2 | oops' },
    child: { status: 'skipped', digest: null, repository: 'r/acme/child', smoke: 'not run', reason: "'bad' failed" },
    stop: { status: 'cancelled', digest: null, repository: 'r/acme/stop' },
  });
  expect(notPromoted.map((n) => [n.name, n.reason])).toEqual([
    ['broken', 'its smoke tests failed: smoke test failed: git'],
    ['bad', 'the build failed: RUN exited 2 | oops'],
    ['child', "not built: 'bad' failed"],
    ['stop', 'the build was cancelled'],
  ]);
  const md = promotionSummaryMarkdown({ promoted: [{ source: `r/acme/ok:test@${D}`, digest: D, targets: [{ reference: 'r/acme/ok:latest', previousDigest: null, digest: D, changed: true, method: 'none' }] }], rollback: [] }, notPromoted);
  expect(md).toContain(`| \`r/acme/ok:latest\` | (new) | \`${D}\` | moved |`);
  expect(md).toContain('### Not promoted (4)');
  expect(md).toContain('| bad | `r/acme/bad` | the build failed: RUN exited 2 \\| oops |');
  expect(promotionSummaryMarkdown(undefined, notPromoted)).toContain('Nothing was promoted.');
});

test('an image built on an untested parent is refused, even with a promote hint', () => {
  const reason = "built on an untested parent: the smoke tests of 'base' did not pass";
  const { requests, notPromoted } = requestsFromBuild({
    child: { status: 'built', digest: D, repository: 'ghcr.io/acme/child', smoke: 'passed', untestedAncestors: ['base'], reason, promote: { from: 'test', to: ['latest'] } },
    bare: { status: 'built', digest: D, repository: 'ghcr.io/acme/bare', smoke: 'passed', untestedAncestors: ['base', 'lang'], promote: { from: 'test', to: ['latest'] } },
  });
  expect(requests).toEqual([]);
  expect(notPromoted.map((n) => n.reason)).toEqual([reason, 'built on an untested parent (base, lang)']);
});
