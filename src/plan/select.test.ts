import { expect, test } from '@jest/globals';
import { selectImages } from './index.js';
import type { Plan, PlannedImage } from './types.js';

function image(name: string, parents: string[], hashes: string[]): PlannedImage {
  const base = { name, file: `${name}.yaml`, repository: `r/${name}`, tags: [], context: name, dockerfile: `${name}/Dockerfile`, parents, from: [], externalBases: [], buildArgs: {}, smoke: [], reasons: ['full build'], selected: true };
  return Object.defineProperty(base, 'contentHash', {
    enumerable: true,
    get: () => {
      hashes.push(name);
      return `sha256:${name}`;
    },
  }) as unknown as PlannedImage;
}

test('selectImages: only the chosen images are selected, in dependency order and levels, with their reasons; hashes are not taken', () => {
  const hashes: string[] = [];
  const plan: Plan = {
    root: '/repo',
    order: ['base', 'lang', 'app', 'tool'],
    levels: [['base'], ['lang', 'tool'], ['app']],
    images: { base: image('base', [], hashes), lang: image('lang', ['base'], hashes), app: image('app', ['lang'], hashes), tool: image('tool', ['base'], hashes) },
    environments: {},
  };
  const picked = selectImages(
    plan,
    new Map([
      ['app', ['base moved: sha256:1 -> sha256:2']],
      ['lang', ['a file changed']],
    ]),
  );
  expect(picked.order).toEqual(['lang', 'app']);
  expect(picked.levels).toEqual([['lang'], ['app']]);
  expect(Object.values(picked.images).map((i) => [i.name, i.selected, i.reasons])).toEqual([
    ['base', false, []],
    ['lang', true, ['a file changed']],
    ['app', true, ['base moved: sha256:1 -> sha256:2']],
    ['tool', false, []],
  ]);
  expect(hashes).toEqual([]);
  expect(picked.images.app!.contentHash).toBe('sha256:app');
  expect(hashes).toEqual(['app']);
  // The original plan is untouched.
  expect(plan.order).toEqual(['base', 'lang', 'app', 'tool']);
  expect(plan.images.base!.selected).toBe(true);
});
