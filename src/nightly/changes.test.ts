import { decide, type DecisionInput } from './changes.js';
import { imageLabels } from '../pipeline/tags.js';
import { combineInputHash } from '../graph/hash.js';
import { plannedImage } from '../../test/harness/plan.js';
import type { PlannedImage } from '../plan/types.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const sha = (c: string) => c.repeat(40);
const BASE = 'docker.io/library/busybox:1.36';
const SOURCE = { url: 'https://github.com/acme/handler.git', ref: 'main', commit: sha('1') };

const origin = { created: '2026-01-01T00:00:00Z', commit: sha('9') };
const leaf: PlannedImage = plannedImage('app', [], { externalBases: [BASE], sources: [SOURCE] });
const child: PlannedImage = plannedImage('child', ['app'], { externalBases: [] });
const fn: PlannedImage = plannedImage('fn', [], { externalBases: [], source: { ...SOURCE, path: 'fn' } });

/** The labels a build of `image` on these bases records, as the scheduler makes them. */
function builtLabels(image: PlannedImage, bases: Record<string, string>, parents: Record<string, string> = {}) {
  return imageLabels(image, origin, combineInputHash(image.contentHash, bases), { bases, parents });
}

function input(image: PlannedImage, over: Partial<DecisionInput> = {}): DecisionInput {
  return {
    image,
    published: { digest: d('e'), labels: builtLabels(image, { [BASE]: d('a') }) },
    publishedAt: `r/${image.name}:test`,
    baseDigests: { [BASE]: d('a') },
    parents: {},
    ...over,
  };
}

const childBuilt = { digest: d('c'), labels: builtLabels(child, { app: d('e') }, { app: `r/app@${d('e')}` }) };

test.each<[string, DecisionInput, boolean, string[]]>([
  ['nothing moved', input(leaf), false, [`unchanged since sha256:eeeeeeeeeeee: base ${BASE} still sha256:aaaaaaaaaaaa; source https://github.com/acme/handler.git (main) still 111111111111`]],
  ['never built', input(leaf, { published: undefined }), true, ['never built: no r/app:test']],
  ['the base tag moved', input(leaf, { baseDigests: { [BASE]: d('b') } }), true, [`base ${BASE} moved: sha256:aaaaaaaaaaaa -> sha256:bbbbbbbbbbbb`]],
  [
    'a build from before base labels',
    input(leaf, { published: { digest: d('e'), labels: {} } }),
    true,
    [`base ${BASE}: no digest recorded on the last build; now sha256:aaaaaaaaaaaa`, 'source https://github.com/acme/handler.git (main): no commit recorded on the last build; now 111111111111'],
  ],
  [
    'the linked source has new commits',
    input({ ...leaf, sources: [{ ...SOURCE, commit: sha('2') }] }, { published: input(leaf).published }),
    true,
    ['source https://github.com/acme/handler.git (main) has new commits: 111111111111 -> 222222222222'],
  ],
  ['the template changed without a build since', input({ ...leaf, contentHash: 'content-app-edited' }, { published: input(leaf).published }), true, ['the template, Dockerfile or context changed since the last build']],
  [
    'the build context repository moved',
    { ...input({ ...fn, source: { ...SOURCE, path: 'fn', commit: sha('3') } }), published: { digest: d('e'), labels: builtLabels(fn, {}) } },
    true,
    ['build context https://github.com/acme/handler.git (main) has new commits: 111111111111 -> 333333333333'],
  ],
  [
    'the build context repository did not move',
    { ...input(fn), published: { digest: d('e'), labels: builtLabels(fn, {}) } },
    false,
    ['unchanged since sha256:eeeeeeeeeeee: build context https://github.com/acme/handler.git (main) still 111111111111'],
  ],
  ['a parent is rebuilt tonight', input(child, { published: childBuilt, parents: { app: { changed: true, digest: d('e') } } }), true, ['parent app is rebuilt']],
  ['a parent is where it was', input(child, { published: childBuilt, parents: { app: { changed: false, digest: d('e') } } }), false, ['unchanged since sha256:cccccccccccc: parent app still sha256:eeeeeeeeeeee']],
  ['a parent was rebuilt without its child', input(child, { published: childBuilt, parents: { app: { changed: false, digest: d('f') } } }), true, ['parent app is at sha256:ffffffffffff, built on sha256:eeeeeeeeeeee']],
  ['a parent has no published image', input(child, { published: childBuilt, parents: { app: { changed: false } } }), true, ['parent app has no published image']],
  [
    'a base pinned by digest never moves',
    input(plannedImage('pinned', [], { externalBases: [`busybox@${d('a')}`] }), {
      published: { digest: d('e'), labels: builtLabels(plannedImage('pinned', [], { externalBases: [`busybox@${d('a')}`] }), { [`busybox@${d('a')}`]: d('a') }) },
    }),
    false,
    ['unchanged since sha256:eeeeeeeeeeee'],
  ],
])('%s', (_what, given, changed, reasons) => {
  expect(decide(given)).toEqual({ changed, reasons });
});
