import { requestsFromBuild } from './promote.js';

const D = `sha256:${'a'.repeat(64)}`;

test('promotion requests come from what the build tested; the rest are left out with why', () => {
  const { requests, leftOut } = requestsFromBuild({
    base: { status: 'built', digest: D, repository: '127.0.0.1:5000/acme/base', smoke: 'passed', promote: { from: 'test', to: ['latest'] } },
    dev: { status: 'reused', digest: D, repository: 'ghcr.io/acme/dev', smoke: 'none', promote: { from: 'ubuntu-test', to: ['ubuntu'] } },
    broken: { status: 'built', digest: D, repository: 'ghcr.io/acme/broken', smoke: 'failed' },
    child: { status: 'skipped', digest: null, repository: 'ghcr.io/acme/child', smoke: 'not run' },
  });
  expect(requests).toEqual([
    { source: { registry: '127.0.0.1:5000', repository: 'acme/base' }, fromTag: 'test', digest: D, targets: [{ registry: '127.0.0.1:5000', repository: 'acme/base', tag: 'latest' }] },
    { source: { registry: 'ghcr.io', repository: 'acme/dev' }, fromTag: 'ubuntu-test', digest: D, targets: [{ registry: 'ghcr.io', repository: 'acme/dev', tag: 'ubuntu' }] },
  ]);
  expect(leftOut).toEqual(['broken: not promoted (built, smoke tests failed)', 'child: not promoted (skipped)']);
});

test('an image built on an untested parent is refused, even with a promote hint', () => {
  const { requests, leftOut } = requestsFromBuild({
    child: { status: 'built', digest: D, repository: 'ghcr.io/acme/child', smoke: 'passed', untestedAncestors: ['base'], promote: { from: 'test', to: ['latest'] } },
  });
  expect(requests).toEqual([]);
  expect(leftOut).toEqual(['child: not promoted (built on an untested parent: the smoke tests of base did not pass)']);
});
