// The one topological order for every graph in the product: image graphs (plan, change
// detection) and task graphs (the scheduler). Parents first, ties broken by the order the nodes
// are given in, so output is stable; parents outside the node set are ignored, so a subset
// orders on its own.

export interface DagNode {
  name: string;
  parents: readonly string[];
}

/** Parents first. Nodes caught in a cycle are left out; callers that must not see one check `order.length`. */
export function topologicalOrder(nodes: Iterable<DagNode>): string[] {
  const list = [...nodes];
  const names = new Set(list.map((n) => n.name));
  const children = new Map<string, string[]>(list.map((n) => [n.name, []]));
  const waiting = new Map<string, number>();
  for (const node of list) {
    const inside = node.parents.filter((p) => names.has(p));
    waiting.set(node.name, inside.length);
    for (const parent of inside) children.get(parent)!.push(node.name);
  }
  const position = new Map(list.map((n, i) => [n.name, i]));
  const byPosition = (a: string, b: string): number => position.get(a)! - position.get(b)!;
  const ready = list.filter((n) => waiting.get(n.name) === 0).map((n) => n.name);
  const order: string[] = [];
  while (ready.length > 0) {
    const name = ready.shift()!;
    order.push(name);
    const released: string[] = [];
    for (const child of children.get(name)!) {
      const left = waiting.get(child)! - 1;
      waiting.set(child, left);
      if (left === 0) released.push(child);
    }
    if (released.length > 0) {
      ready.push(...released);
      ready.sort(byPosition);
    }
  }
  return order;
}
