// The graph as a mermaid flowchart for job summaries and `plan --format mermaid`.
import type { Plan } from '../plan/types.js';

function id(name: string): string {
  return `n_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Parents point at children; selected images are highlighted, unchanged ones dimmed. */
export function toMermaid(plan: Plan): string {
  const lines = ['flowchart TD'];
  const names = Object.keys(plan.images).sort();
  for (const name of names) {
    const image = plan.images[name]!;
    lines.push(`  ${id(name)}["${name}<br/><small>${image.repository}</small>"]`);
  }
  for (const name of names) {
    for (const parent of plan.images[name]!.parents) lines.push(`  ${id(parent)} --> ${id(name)}`);
  }
  const selected = names.filter((n) => plan.images[n]!.selected);
  const unchanged = names.filter((n) => !plan.images[n]!.selected);
  lines.push('  classDef build fill:#dbeafe,stroke:#2563eb;', '  classDef keep fill:#f3f4f6,stroke:#9ca3af,color:#6b7280;');
  if (selected.length > 0) lines.push(`  class ${selected.map(id).join(',')} build;`);
  if (unchanged.length > 0) lines.push(`  class ${unchanged.map(id).join(',')} keep;`);
  return lines.join('\n') + '\n';
}
