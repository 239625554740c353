// Change detection (G3): which images a set of changed files rebuilds, and why.
import picomatch from 'picomatch';
import type { ImageGraph } from './graph.js';
import { topologicalOrder } from './graph.js';

const MAX_LISTED = 3;

function under(dir: string, path: string): boolean {
  const d = dir.replace(/^\.\/?/, '').replace(/\/+$/, '');
  return d === '' || path === d || path.startsWith(`${d}/`);
}

function listed(kind: string, files: string[]): string {
  const shown = files.slice(0, MAX_LISTED).join(', ');
  const more = files.length > MAX_LISTED ? ` and ${files.length - MAX_LISTED} more` : '';
  return `${kind} changed: ${shown}${more}`;
}

/**
 * Reasons per image for the changed files (paths relative to the repo root): its template,
 * its Dockerfile, files of its context, declared watch paths; then every descendant of a
 * changed image, because it builds on what changed.
 */
export function changeReasons(graph: ImageGraph, changedFiles: readonly string[]): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (name: string, reason: string): void => {
    reasons.set(name, [...(reasons.get(name) ?? []), reason]);
  };
  for (const [name, node] of graph.nodes) {
    const spec = node.template.spec;
    if (node.template.source && changedFiles.includes(node.template.file)) add(name, `template changed: ${node.template.file}`);
    if (changedFiles.includes(node.dockerfile)) add(name, `Dockerfile changed: ${node.dockerfile}`);
    const context = changedFiles.filter((f) => under(spec.context, f) && f !== node.dockerfile);
    if (context.length > 0) add(name, listed('context', context));
    if (spec.watch.length > 0) {
      const isWatched = picomatch(spec.watch, { dot: true });
      const watched = changedFiles.filter((f) => isWatched(f));
      if (watched.length > 0) add(name, listed(`watched path (${spec.watch.join(', ')})`, watched));
    }
  }
  // In graph order, so a parent's selection is final before its children are looked at.
  for (const name of topologicalOrder(graph)) {
    for (const parent of graph.nodes.get(name)!.parents) if (reasons.has(parent)) add(name, `parent ${parent} is rebuilt`);
  }
  return reasons;
}
