// The image dependency graph (G1, G2): edges from Dockerfile FROM lines (and COPY --from)
// to the templates that publish those repositories, with variants told apart by tag.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { analyzeDockerfile, type DockerfileAnalysis } from '../dockerfile/analyze.js';
import { DEFAULT_TAG, formatReference, normalizedName, parseReference, type ImageReference } from '../systems/registry/reference.js';
import { buildArgsOf, imageProblem, isInside } from '../templates/check.js';
import { relativePath } from '../templates/load.js';
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
}

export interface ImageGraph {
  nodes: Map<string, ImageNode>;
  children: Map<string, string[]>;
}

/** Which template publishes the image a reference names; undefined for outside images. */
export class Publishers {
  private readonly byName = new Map<string, ImageTemplate[]>();

  constructor(images: readonly ImageTemplate[]) {
    for (const t of images) {
      let key: string;
      try {
        key = normalizedName(parseReference(t.spec.image));
      } catch {
        continue; // reported by the template checks
      }
      this.byName.set(key, [...(this.byName.get(key) ?? []), t]);
    }
  }

  /**
   * The template a reference resolves to. Several templates may publish one repository as
   * variants: the one whose tags include the reference's tag wins; failing that, the single
   * template without fixed tags. A reference pinned by digest is outside the graph.
   */
  resolve(ref: ImageReference): { template?: ImageTemplate; ambiguous?: ImageTemplate[] } {
    if (ref.digest) return {};
    const candidates = this.byName.get(normalizedName(ref));
    if (!candidates) return {};
    if (candidates.length === 1) return { template: candidates[0] };
    const tag = ref.tag ?? DEFAULT_TAG;
    const tagged = candidates.filter((t) => t.spec.tags.includes(tag));
    if (tagged.length === 1) return { template: tagged[0] };
    const untagged = candidates.filter((t) => t.spec.tags.length === 0);
    if (tagged.length === 0 && untagged.length === 1) return { template: untagged[0] };
    return { ambiguous: tagged.length > 1 ? tagged : candidates };
  }
}

const COPY_FROM = /^\s*COPY\s+(?:--\S+\s+)*--from=(\S+)/i;

/**
 * `buildArgOverrides` (the CLI's `--build-arg`, the action's `build-args`) apply to every image
 * that declares the name as a parameter or as an ARG of its Dockerfile, as docker does.
 */
export function buildGraph(repo: TemplateRepo, buildArgOverrides: Readonly<Record<string, string>> = {}): { graph: ImageGraph; problems: Problem[] } {
  const problems: Problem[] = [];
  const publishers = new Publishers(repo.images);
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
    };
    nodes.set(template.name, node);
    if (!isInside(repo.root, dockerfilePath) || !existsSync(dockerfilePath)) continue; // reported by the checks
    node.dockerfileText = readFileSync(dockerfilePath, 'utf8');
    const analysis = analyzeDockerfile(node.dockerfileText, { ...node.buildArgs, ...buildArgOverrides });
    node.analysis = analysis;
    for (const [name, value] of Object.entries(buildArgOverrides)) {
      if (name in node.buildArgs || analysis.args.has(name)) node.buildArgs[name] = value;
    }
    for (const p of analysis.problems) problems.push({ file: node.dockerfile, line: p.line, column: p.column, message: p.message, title: 'Dockerfile' });
    const parents = new Set<string>();
    const external = new Set<string>();
    const link = (ref: ImageReference, line: number, column: number): string | undefined => {
      const { template: parent, ambiguous } = publishers.resolve(ref);
      if (ambiguous) {
        problems.push({
          file: node.dockerfile,
          line,
          column,
          title: 'Ambiguous base image',
          message: `${formatReference(ref)} is published by several templates (${ambiguous.map((t) => `${t.name} [${t.spec.tags.join(', ') || 'no tags'}]`).join(', ')}) and the tag '${ref.tag ?? DEFAULT_TAG}' does not pick one; add it to one template's spec.tags`,
        });
        return undefined;
      }
      if (parent) {
        if (parent.name === template.name) {
          problems.push({ file: node.dockerfile, line, column, title: 'Dependency cycle', message: `dependency cycle: ${template.name} -> ${template.name} (the image builds FROM the repository it publishes)` });
          return undefined;
        }
        parents.add(parent.name);
        return parent.name;
      }
      external.add(formatReference(ref));
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
  }
  const children = new Map<string, string[]>([...nodes.keys()].map((n) => [n, []]));
  for (const node of nodes.values()) for (const p of node.parents) children.get(p)!.push(node.template.name);
  for (const list of children.values()) list.sort();
  const graph = { nodes, children };
  problems.push(...cycleProblems(graph));
  return { graph, problems };
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
              from
                ? { file: node.dockerfile, line: from.line, column: 1, title: 'Dependency cycle', message: `dependency cycle: ${text}` }
                : imageProblem(node.template, ['spec', 'image'], `dependency cycle: ${text}`, 'Dependency cycle'),
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
export function levelsOf(graph: ImageGraph, order: readonly string[]): string[][] {
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
