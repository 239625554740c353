// The image dependency graph (G1, G2): edges from Dockerfile FROM lines (and COPY --from)
// to the templates that publish those repositories, with variants told apart by tag.
import { resolve } from 'node:path';
import { analyzeDockerfile, type DockerfileAnalysis } from '../dockerfile/analyze.js';
import { formatReference, parseReference, type ImageReference } from '../systems/registry/reference.js';
import { buildArgsOf, imageProblem, isInside } from '../templates/check.js';
import { relativePath } from '../templates/load.js';
import { readRepoText } from '../templates/read.js';
import { Publishers, promotedTags } from './published.js';
import type { Problem } from '../templates/problems.js';
import type { ImageTemplate, TemplateRepo } from '../templates/types.js';
import type { PlannedFrom } from '../plan/types.js';
import { topologicalOrder as dagOrder } from '../lib/dag.js';

export interface ImageNode {
  template: ImageTemplate;
  buildArgs: Record<string, string>;
  /** Dockerfile path relative to the repo root, and its text ('' when missing). */
  dockerfile: string;
  dockerfileText: string;
  analysis?: DockerfileAnalysis;
  from: PlannedFrom[];
  parents: string[];
  externalBases: string[];
  /** What a person should know about the bases: `uses X from the registry; not built here`. */
  notes: string[];
}

export interface ImageGraph {
  nodes: Map<string, ImageNode>;
  children: Map<string, string[]>;
}

/** Dockerfiles are read whole into memory: refuse absurd ones. */
const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;

const COPY_FROM = /^\s*COPY\s+(?:--\S+\s+)*--from=(\S+)/i;

/**
 * `buildArgOverrides` (the CLI's `--build-arg`, the action's `build-args`) apply to every image
 * that declares the name as a parameter or as an ARG of its Dockerfile, as docker does.
 */
export function buildGraph(repo: TemplateRepo, buildArgOverrides: Readonly<Record<string, string>> = {}, branch?: string): { graph: ImageGraph; problems: Problem[] } {
  const problems: Problem[] = [];
  const publishers = new Publishers(repo.images, branch);
  problems.push(...duplicateTagProblems(publishers));
  const nodes = new Map<string, ImageNode>();
  for (const template of repo.images) {
    if (nodes.has(template.name)) continue; // duplicate names are reported by the checks
    const contextDir = resolve(repo.root, template.spec.context);
    const dockerfilePath = resolve(contextDir, template.spec.dockerfile);
    const node: ImageNode = {
      template,
      buildArgs: buildArgsOf(template),
      dockerfile: relativePath(repo.root, dockerfilePath),
      dockerfileText: '',
      from: [],
      parents: [],
      externalBases: [],
      notes: [],
    };
    nodes.set(template.name, node);
    if (!isInside(repo.root, dockerfilePath)) continue; // reported by the checks
    const read = readRepoText(repo.root, dockerfilePath, MAX_DOCKERFILE_BYTES, 'the Dockerfile');
    if (!read.ok && (read.code === 'ENOENT' || read.code === 'ENOTDIR')) continue; // missing: reported by the checks
    if (!read.ok) {
      problems.push({ file: node.dockerfile, line: read.line, column: read.line > 0 ? 1 : 0, message: read.message, title: read.title });
      continue;
    }
    node.dockerfileText = read.text;
    const analysis = analyzeDockerfile(node.dockerfileText, { ...node.buildArgs, ...buildArgOverrides });
    node.analysis = analysis;
    for (const [name, value] of Object.entries(buildArgOverrides)) {
      if (name in node.buildArgs || analysis.args.has(name)) node.buildArgs[name] = value;
    }
    for (const p of analysis.problems) problems.push({ file: node.dockerfile, line: p.line, column: p.column, message: p.message, title: 'Dockerfile' });
    const parents = new Set<string>();
    const external = new Set<string>();
    const notes = new Set<string>();
    const link = (ref: ImageReference, line: number, column: number): string | undefined => {
      const resolution = publishers.resolve(ref);
      if (resolution.kind === 'template') {
        const parent = resolution.template;
        if (parent.name === template.name) {
          problems.push({ file: node.dockerfile, line, column, title: 'Dependency cycle', message: `dependency cycle: ${template.name} -> ${template.name} (the image builds FROM the tag it publishes)` });
          return undefined;
        }
        parents.add(parent.name);
        return parent.name;
      }
      const formatted = formatReference(ref);
      external.add(formatted);
      const built = resolution.sameRepository;
      const here =
        built.length > 0 && !ref.digest
          ? ` (this repository builds ${[...new Set(built.flatMap((t) => promotedTags(t.spec.tags)))]
              .sort()
              .map((tag) => `:${tag}`)
              .join(', ')} of it, not :${ref.tag ?? 'latest'})`
          : '';
      notes.add(`${node.dockerfile}:${line}: uses ${formatted} from the registry; not built here${here}`);
      return undefined;
    };
    for (const f of analysis.froms) {
      const planned: PlannedFrom = { line: f.line, ref: f.image };
      if (f.viaArg) planned.viaArg = f.viaArg;
      if (f.reference) {
        const parent = link(f.reference, f.line, f.column);
        if (parent) planned.parent = parent;
      }
      node.from.push(planned);
    }
    const stages = new Set(analysis.froms.map((f) => f.stage?.toLowerCase()).filter(Boolean));
    node.dockerfileText.split('\n').forEach((text, i) => {
      const m = COPY_FROM.exec(text);
      if (!m || /^\d+$/.test(m[1]!) || stages.has(m[1]!.toLowerCase()) || m[1]!.includes('$')) return;
      try {
        link(parseReference(m[1]!), i + 1, text.indexOf(m[1]!) + 1);
      } catch {
        // not an image reference: docker reports it at build time
      }
    });
    node.parents = [...parents].sort();
    node.externalBases = [...external].sort();
    node.notes = [...notes];
  }
  const children = new Map<string, string[]>([...nodes.keys()].map((n) => [n, []]));
  for (const node of nodes.values()) for (const p of node.parents) children.get(p)!.push(node.template.name);
  for (const list of children.values()) list.sort();
  const graph = { nodes, children };
  problems.push(...cycleProblems(graph));
  return { graph, problems };
}

/** One problem per template and clashing set of templates, naming every file involved. */
function duplicateTagProblems(publishers: Publishers): Problem[] {
  const clashes = new Map<ImageTemplate, Map<string, { references: string[]; others: ImageTemplate[] }>>();
  for (const duplicate of publishers.duplicates()) {
    for (const t of duplicate.templates) {
      const others = duplicate.templates.filter((o) => o !== t);
      const key = others.map((o) => o.name).join(',');
      const byOthers = clashes.get(t) ?? new Map<string, { references: string[]; others: ImageTemplate[] }>();
      clashes.set(t, byOthers);
      const entry = byOthers.get(key) ?? { references: [], others };
      byOthers.set(key, entry);
      entry.references.push(duplicate.reference);
    }
  }
  const problems: Problem[] = [];
  for (const [t, byOthers] of clashes) {
    for (const { references, others } of byOthers.values()) {
      // The test tags clash whenever the promoted ones do: name those only when alone.
      const promoted = references.filter((r) => promotedTags(t.spec.tags).some((tag) => r.endsWith(`:${tag}`)));
      const shown = promoted.length > 0 ? promoted : references;
      const path = t.variant?.index !== undefined ? ['spec', 'variants', t.variant.index, 'tags'] : t.spec.tags.length > 0 ? ['spec', 'tags'] : ['spec', 'image'];
      const implicit = t.spec.tags.length === 0 ? ' (a template without fixed tags publishes latest)' : '';
      problems.push(
        imageProblem(
          t,
          path,
          `${shown.join(', ')} ${shown.length > 1 ? 'are' : 'is'} published by ${describeTemplate(t)} and by ${others.map(describeTemplate).join(' and ')}${implicit}; give each template its own tags (spec.tags or spec.variants)`,
          'Tag published twice',
        ),
      );
    }
  }
  return problems;
}

function describeTemplate(t: ImageTemplate): string {
  return t.variant?.index !== undefined ? `${t.file} (variant ${t.variant.name})` : t.file;
}

/** Every dependency cycle once, printed `a -> b -> c -> a`, reported at each member's FROM. */
function cycleProblems(graph: ImageGraph): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const parent of graph.nodes.get(name)!.parents) {
      if (state.get(parent) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(parent));
        const key = [...cycle].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          // Printed parents first: a is built FROM b means b -> a.
          const printed = [...cycle].reverse();
          const text = [...printed, printed[0]].join(' -> ');
          for (const member of cycle) {
            const node = graph.nodes.get(member)!;
            const next = cycle[(cycle.indexOf(member) + 1) % cycle.length]!;
            const from = node.from.find((f) => f.parent === next);
            problems.push(
              from ? { file: node.dockerfile, line: from.line, column: 1, title: 'Dependency cycle', message: `dependency cycle: ${text}` } : imageProblem(node.template, ['spec', 'image'], `dependency cycle: ${text}`, 'Dependency cycle'),
            );
          }
        }
      } else if (!state.has(parent)) visit(parent);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of [...graph.nodes.keys()].sort()) if (!state.has(name)) visit(name);
  return problems;
}

/** Topological order of the images (or of a subset), parents first, ties broken by name. */
export function topologicalOrder(graph: ImageGraph, only?: ReadonlySet<string>): string[] {
  const nodes = [...graph.nodes].filter(([name]) => !only || only.has(name)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return dagOrder(nodes.map(([name, node]) => ({ name, parents: node.parents })));
}

/** Levels by depth among the included images: level 0 has no included parent. */
export function levelsOf(graph: { nodes: ReadonlyMap<string, { parents: readonly string[] }> }, order: readonly string[]): string[][] {
  const included = new Set(order);
  const depth = new Map<string, number>();
  const levels: string[][] = [];
  for (const name of order) {
    const parents = graph.nodes.get(name)!.parents.filter((p) => included.has(p));
    const d = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => depth.get(p)!));
    depth.set(name, d);
    (levels[d] ??= []).push(name);
  }
  return levels;
}

/** Every image built on `name`, directly or not. */
export function descendantsOf(graph: ImageGraph, name: string): string[] {
  const seen = new Set<string>();
  const queue = [...(graph.children.get(name) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(graph.children.get(next) ?? []));
  }
  return [...seen].sort();
}
