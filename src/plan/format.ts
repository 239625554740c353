// Plans for people (text) and for machines (JSON without the absolute root).
import type { Plan } from './types.js';

export function planToJson(plan: Plan): object {
  const { root: _root, ...rest } = plan;
  return rest;
}

export function formatPlanText(plan: Plan): string {
  const total = Object.keys(plan.images).length;
  const lines: string[] = [];
  if (plan.order.length === 0) {
    lines.push(`Nothing to build: none of the ${total} images changed${plan.since ? ` since ${plan.since}` : ''}.`);
    return lines.join('\n') + '\n';
  }
  lines.push(`Build ${plan.order.length} of ${total} images in ${plan.levels.length} level${plan.levels.length === 1 ? '' : 's'}${plan.since ? ` (changes since ${plan.since})` : ''}:`);
  plan.levels.forEach((level, i) => {
    lines.push('', `Level ${i}:`);
    for (const name of level) {
      const image = plan.images[name]!;
      const parents = image.parents.length > 0 ? ` (on ${image.parents.join(', ')})` : '';
      lines.push(`  ${name}  ${image.repository}${parents}`);
      for (const reason of image.reasons) lines.push(`    - ${reason}`);
      for (const note of image.notes ?? []) lines.push(`    ${note}`);
    }
  });
  return lines.join('\n') + '\n';
}

/** `strategy.matrix` include entries, one per image to build, in build order. */
export function planMatrix(plan: Plan): { include: object[] } {
  return {
    include: plan.order.map((name) => {
      const image = plan.images[name]!;
      return { name, repository: image.repository, context: image.context, dockerfile: image.dockerfile, parents: image.parents.join(','), level: plan.levels.findIndex((l) => l.includes(name)) };
    }),
  };
}
