// Hand-made plan entries for tests that drive the scheduler or builders without templates.
import type { Plan, PlannedImage } from '../../src/plan/types.js';

/**
 * A planned image `name` publishing ghcr.io/acme/<name>: FROM each parent's `latest`, or FROM
 * busybox when it has none. `extra` overrides any field (e.g. `from`, `smoke`).
 */
export function plannedImage(name: string, parents: string[] = [], extra: Partial<PlannedImage> = {}): PlannedImage {
  return {
    name,
    file: `.coder/images/${name}.yaml`,
    repository: `ghcr.io/acme/${name}`,
    tags: [],
    context: `images/${name}`,
    dockerfile: `images/${name}/Dockerfile`,
    parents,
    from: parents.length ? parents.map((p, i) => ({ line: i + 1, ref: `ghcr.io/acme/${p}:latest`, parent: p })) : [{ line: 1, ref: 'busybox' }],
    externalBases: parents.length ? [] : ['busybox'],
    buildArgs: {},
    smoke: [],
    reasons: [],
    selected: true,
    contentHash: `content-${name}`,
    ...extra,
  };
}

/** A plan holding `images`, in the order given. */
export function planOf(...images: PlannedImage[]): Plan {
  return {
    root: '/repo',
    order: images.map((i) => i.name),
    levels: [],
    images: Object.fromEntries(images.map((i) => [i.name, i])),
    environments: {},
  };
}
