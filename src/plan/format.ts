// Plans for people (text) and for machines (JSON without the absolute root).
import type { Plan } from './types.js';
import { cell } from '../lib/markdown.js';

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

// ---------------------------------------------------------------------------------------------
// GitHub-facing forms: the matrix outputs and the graph diagram of job summaries.

/** GitHub refuses a matrix with more than this many jobs. */
export const MATRIX_LIMIT = 256;

export interface MatrixEntry {
  /** The image's name, or `batch-N` when images were batched to stay under the limit. */
  name: string;
  /** Comma-separated image names for the build action's `images` input. */
  images: string;
  repository: string;
  /** Paths relative to the workspace (what `actions/checkout` laid out), not the templates folder. */
  context: string;
  dockerfile: string;
  parents: string;
  level: number;
}

export interface PlanMatrices {
  /** `{include: [...]}`, one entry per image; batches of images above {@link MATRIX_LIMIT}. */
  matrix: { include: MatrixEntry[] };
  /** One entry per level, parents' levels first: `strategy: {matrix: ..., max-parallel: 1}`. */
  layers: { include: { level: number; images: string }[] };
  /** Set when the images did not fit one job each. */
  warning?: string;
}

function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  return path === '.' || path === '' ? prefix.replace(/\/$/, '') : `${prefix}${path.replace(/^\.\//, '')}`;
}

/**
 * The plan's matrix outputs. `prefix` turns repo-root-relative paths into workspace-relative
 * ones (`templates/` when the templates repo is checked out into a folder). Above 256 images
 * the entries become batches of consecutive images of one level (build order kept), each
 * naming its images in `images`, and a warning says so: every image is still built.
 */
export function planMatrices(plan: Plan, prefix = '', limit = MATRIX_LIMIT): PlanMatrices {
  const levelOf = new Map<string, number>();
  plan.levels.forEach((level, i) => level.forEach((name) => levelOf.set(name, i)));
  const entry = (name: string): MatrixEntry => {
    const image = plan.images[name]!;
    return {
      name,
      images: name,
      repository: image.repository,
      context: joinPath(prefix, image.context),
      dockerfile: joinPath(prefix, image.dockerfile),
      parents: image.parents.join(','),
      level: levelOf.get(name) ?? 0,
    };
  };
  // plan.levels holds exactly the images of plan.order, in levels that are never empty.
  const layers = plan.levels.map((level, i) => ({ level: i, images: level.join(',') }));
  if (plan.order.length <= limit) return { matrix: { include: plan.order.map(entry) }, layers: { include: layers } };

  // Batches: every level gets a share of the limit in proportion to its size (at least one).
  const size = Math.ceil(plan.order.length / Math.max(1, limit - plan.levels.length));
  const include: MatrixEntry[] = [];
  for (const level of plan.levels) {
    for (let i = 0; i < level.length; i += size) {
      const names = level.slice(i, i + size);
      const first = entry(names[0]!);
      include.push({
        ...first,
        name: `batch-${include.length + 1}`,
        images: names.join(','),
        repository: names.length === 1 ? first.repository : '',
        context: names.length === 1 ? first.context : '',
        dockerfile: names.length === 1 ? first.dockerfile : '',
        parents: names.length === 1 ? first.parents : '',
      });
    }
  }
  return {
    matrix: { include },
    layers: { include: layers },
    warning: `${plan.order.length} images exceed GitHub's limit of ${limit} jobs per matrix: the matrix output has ${include.length} entries of up to ${size} images each (their names in 'images'); every image is still built`,
  };
}

export interface DiagramOptions {
  /** The mermaid class of each image (a key of `classDefs`). */
  classOf(name: string): string;
  /** `classDef` bodies by class name, e.g. `{failed: 'fill:#fee2e2,stroke:#dc2626'}`. */
  classDefs: Record<string, string>;
  /** The images worth showing when the whole graph is too large (what changed or failed). */
  focus(name: string): boolean;
  /** Extra text under an image's name (tags, status); plain text. */
  detail?(name: string): string | undefined;
  /** Diagram size budget in characters; mermaid refuses more than 50,000 by default. */
  maxChars?: number;
}

function nodeId(name: string): string {
  return `n_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Mermaid label text: no quotes or markup from names and repositories. */
function labelText(text: string): string {
  return text.replace(/["<>#]/g, (c) => `#${c.charCodeAt(0)};`);
}

function diagramText(plan: Plan, names: string[], options: DiagramOptions): string {
  const shown = new Set(names);
  const lines = ['flowchart TD'];
  for (const name of names) {
    const image = plan.images[name]!;
    const detail = options.detail?.(name);
    lines.push(`  ${nodeId(name)}["${labelText(name)}<br/><small>${labelText(image.repository)}${detail ? `<br/>${labelText(detail)}` : ''}</small>"]`);
  }
  for (const name of names) {
    for (const parent of plan.images[name]!.parents) if (shown.has(parent)) lines.push(`  ${nodeId(parent)} --> ${nodeId(name)}`);
  }
  const byClass = new Map<string, string[]>();
  for (const name of names) {
    const cls = options.classOf(name);
    byClass.set(cls, [...(byClass.get(cls) ?? []), nodeId(name)]);
  }
  for (const [cls, body] of Object.entries(options.classDefs)) if (byClass.has(cls)) lines.push(`  classDef ${cls} ${body};`);
  for (const [cls, ids] of byClass) lines.push(`  class ${ids.join(',')} ${cls};`);
  return lines.join('\n') + '\n';
}

/**
 * The graph as a fenced mermaid block for a job summary, kept under mermaid's size limit:
 * the whole graph when it fits; else only the focus images and their parents, with a note;
 * else no diagram, with a note.
 */
export function mermaidSummary(plan: Plan, options: DiagramOptions): string {
  const max = options.maxChars ?? 40_000;
  const all = Object.keys(plan.images).sort();
  if (all.length === 0) return '';
  const block = (text: string) => `\n\`\`\`mermaid\n${text}\`\`\`\n\n`;
  const whole = diagramText(plan, all, options);
  if (whole.length <= max) return block(whole);
  const focus = all.filter((n) => options.focus(n));
  const withParents = new Set(focus);
  for (const name of focus) for (const parent of plan.images[name]!.parents) withParents.add(parent);
  const names = all.filter((n) => withParents.has(n));
  const part = diagramText(plan, names, options);
  if (names.length > 0 && part.length <= max) {
    return `${block(part)}_The graph has ${all.length} images, too many to draw: shown are the ${focus.length} built, failed or changed and their parents (${names.length}); the other ${all.length - names.length} are left out._\n\n`;
  }
  return `\n_The graph has ${all.length} images (${focus.length} built, failed or changed), too many to draw within mermaid's size limit; see the table._\n\n`;
}

/** The plan action's job summary: counts, the graph (changed images highlighted), a row per image. */
export function planSummaryMarkdown(plan: Plan, prefix = ''): string {
  const lines = ['## Build plan', ''];
  lines.push(
    plan.order.length === 0
      ? `Nothing to build: none of the ${Object.keys(plan.images).length} images changed${plan.since ? ` since \`${plan.since.slice(0, 12)}\`` : ''}.`
      : `${plan.order.length} of ${Object.keys(plan.images).length} image(s) to build in ${plan.levels.length} level(s), parents first.`,
  );
  const built = new Set(plan.order);
  lines.push(
    mermaidSummary(plan, {
      classOf: (n) => (built.has(n) ? 'build' : 'keep'),
      classDefs: { build: 'fill:#dbeafe,stroke:#2563eb', keep: 'fill:#f3f4f6,stroke:#9ca3af,color:#6b7280' },
      focus: (n) => built.has(n),
    }),
  );
  if (plan.order.length > 0) {
    lines.push('| Image | Repository | Context | Parents | Why |', '| --- | --- | --- | --- | --- |');
    for (const name of plan.order) {
      const image = plan.images[name]!;
      lines.push(`| ${cell(name)} | \`${cell(image.repository)}\` | \`${cell(joinPath(prefix, image.context))}\` | ${cell(image.parents.join(', ')) || '—'} | ${cell(image.reasons.join('; ')) || '—'} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
