import { MATRIX_LIMIT, mermaidSummary, planMatrices, planSummaryMarkdown } from './format.js';
import type { Plan, PlannedImage } from './types.js';

/** A plan of `width` images per level over `depth` levels; each image builds on the first of the level above. */
function plan(depth: number, width: number, selected: (name: string) => boolean = () => true): Plan {
  const images: Record<string, PlannedImage> = {};
  const levels: string[][] = [];
  for (let l = 0; l < depth; l++) {
    const level: string[] = [];
    for (let i = 0; i < width; i++) {
      const name = `img-${l}-${i}`;
      level.push(name);
      images[name] = {
        name,
        file: `.coder/images/${name}.yaml`,
        repository: `ghcr.io/acme/${name}`,
        tags: [],
        context: `images/${name}`,
        dockerfile: `images/${name}/Dockerfile`,
        parents: l === 0 ? [] : [`img-${l - 1}-0`],
        from: [],
        externalBases: [],
        buildArgs: {},
        smoke: [],
        reasons: ['template changed'],
        selected: selected(name),
        contentHash: 'x',
      };
    }
    levels.push(level);
  }
  const order = levels.flat().filter((n) => images[n]!.selected);
  return { root: '/w/templates', order, levels: levels.map((l) => l.filter((n) => order.includes(n))).filter((l) => l.length), images, environments: {} };
}

test('matrix entries carry workspace-relative paths and the images input', () => {
  const { matrix, layers, warning } = planMatrices(plan(2, 2), 'templates/');
  expect(warning).toBeUndefined();
  expect(matrix.include[0]).toEqual({ name: 'img-0-0', images: 'img-0-0', repository: 'ghcr.io/acme/img-0-0', context: 'templates/images/img-0-0', dockerfile: 'templates/images/img-0-0/Dockerfile', parents: '', level: 0 });
  expect(matrix.include[3]).toMatchObject({ name: 'img-1-1', parents: 'img-0-0', level: 1 });
  expect(layers).toEqual({
    include: [
      { level: 0, images: 'img-0-0,img-0-1' },
      { level: 1, images: 'img-1-0,img-1-1' },
    ],
  });
  expect(planMatrices(plan(1, 1), '').matrix.include[0]!.context).toBe('images/img-0-0');
});

test('an empty plan gives empty matrices (the job is skipped on has-images)', () => {
  expect(planMatrices(plan(2, 2, () => false))).toEqual({ matrix: { include: [] }, layers: { include: [] } });
});

test.each([
  [256, 1, false],
  [257, 1, true],
  [600, 3, true],
  [2000, 11, true],
])('%i images over %i levels: at most 256 entries, every image exactly once, levels kept', (count, depth, batched) => {
  const p = plan(depth, Math.ceil(count / depth));
  const { matrix, warning } = planMatrices(p);
  expect(matrix.include.length).toBeLessThanOrEqual(MATRIX_LIMIT);
  const names = matrix.include.flatMap((e) => e.images.split(','));
  expect(names.sort()).toEqual([...p.order].sort());
  for (const e of matrix.include) expect(new Set(e.images.split(',').map((n) => n.split('-')[1])).size).toBe(1);
  expect(warning !== undefined).toBe(batched);
  if (batched) expect(warning).toMatch(/exceed GitHub's limit of 256 jobs/);
});

const outcome = {
  classOf: (n: string) => (n.endsWith('-0') ? 'built' : 'reused'),
  classDefs: { built: 'fill:#dcfce7', reused: 'fill:#f3f4f6', failed: 'fill:#fee2e2' },
  focus: (n: string) => n.endsWith('-0'),
};

test('a small graph is drawn whole, with only the classes in use', () => {
  const text = mermaidSummary(plan(2, 2), outcome);
  expect(text).toContain('```mermaid\nflowchart TD');
  expect(text).toContain('n_img_0_0 --> n_img_1_1');
  expect(text).toContain('class n_img_0_0,n_img_1_0 built;');
  expect(text).not.toContain('classDef failed');
});

test("a 600-image graph stays under mermaid's limit: what changed plus parents, with a note", () => {
  const text = mermaidSummary(plan(6, 100), outcome);
  expect(text.length).toBeLessThan(50_000);
  expect(text).toContain('```mermaid');
  expect(text).toMatch(/The graph has 600 images, too many to draw: shown are the 6 built, failed or changed/);
  const none = mermaidSummary(plan(6, 100), { ...outcome, focus: () => true });
  expect(none).not.toContain('```mermaid');
  expect(none).toMatch(/too many to draw within mermaid's size limit/);
});

test('names cannot break out of a label', () => {
  const p = plan(1, 1);
  p.images['img-0-0']!.repository = 'x"] --> evil["<b>';
  expect(mermaidSummary(p, outcome)).not.toContain('"]  -->');
  expect(mermaidSummary(p, outcome)).toContain('x#34;] --#62; evil[#34;#60;b#62;');
});

test('the plan summary is markdown: code spans render, pipes are escaped', () => {
  const p = plan(1, 1);
  p.images['img-0-0']!.reasons = ['a | b'];
  const md = planSummaryMarkdown(p, 'templates/');
  expect(md).toContain('| img-0-0 | `ghcr.io/acme/img-0-0` | `templates/images/img-0-0` | — | a \\| b |');
});
