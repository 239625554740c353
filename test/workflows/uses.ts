// Checks that each `uses:` of this repository's actions and reusable workflows names one that
// exists, with only the inputs (and secrets) it declares and every required one given.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Declared {
  inputs: Record<string, { required?: boolean; default?: unknown }>;
  secrets?: Record<string, { required?: boolean }>;
}

/** The action.yml or reusable workflow a `uses:` of this repository points at, or why not. */
export function resolveUses(uses: string, root: string): { file: string; declared: Declared } | { error: string } | undefined {
  let path: string | undefined;
  let m: RegExpExecArray | null;
  if ((m = /^coder\/build-image(?:\/(.+?))?@([\w.\-/]+)$/.exec(uses))) path = m[1] ?? '';
  else if ((m = /^\.\/(?:\.build-image\/?)?(.*)$/.exec(uses))) path = m[1]!.replace(/\/$/, '');
  else return undefined; // another publisher's action
  if (path.startsWith('.github/workflows/')) {
    const file = join(root, path);
    if (!existsSync(file)) return { error: `${uses}: no reusable workflow ${path} in this repository` };
    const call = (parse(readFileSync(file, 'utf8')) as { on?: { workflow_call?: { inputs?: Declared['inputs']; secrets?: Declared['secrets'] } } }).on?.workflow_call;
    if (!call) return { error: `${uses}: ${path} is not a reusable workflow (no on.workflow_call)` };
    return { file: path, declared: { inputs: call.inputs ?? {}, secrets: call.secrets ?? {} } };
  }
  const file = join(path, 'action.yml');
  if (!existsSync(join(root, file))) return { error: `${uses}: no action at ${path || '(the repository root)'} (expected ${file})` };
  const action = parse(readFileSync(join(root, file), 'utf8')) as { inputs?: Declared['inputs'] };
  return { file, declared: { inputs: action.inputs ?? {} } };
}

interface Use {
  uses: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
}

/** Every step-level and job-level `uses:` in a parsed workflow, a list of steps, or one step. */
export function collectUses(value: unknown, out: Use[] = []): Use[] {
  if (Array.isArray(value)) for (const v of value) collectUses(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.uses === 'string') out.push({ uses: o.uses, with: o.with as Use['with'], secrets: o.secrets as Use['secrets'] });
    for (const [key, v] of Object.entries(o)) if (key !== 'with') collectUses(v, out);
  }
  return out;
}

/** Problems with the `uses:` lines of one parsed document. */
export function checkUses(document: unknown, root: string): string[] {
  const problems: string[] = [];
  for (const use of collectUses(document)) {
    const target = resolveUses(use.uses, root);
    if (!target) continue;
    if ('error' in target) {
      problems.push(target.error);
      continue;
    }
    const given = Object.keys(use.with ?? {});
    for (const name of given) if (!(name in target.declared.inputs)) problems.push(`${use.uses}: input '${name}' is not declared in ${target.file}`);
    for (const [name, input] of Object.entries(target.declared.inputs)) {
      if (input.required && input.default === undefined && !given.includes(name)) problems.push(`${use.uses}: required input '${name}' is not given`);
    }
    if (target.declared.secrets && use.secrets !== 'inherit') {
      const secrets = Object.keys(use.secrets ?? {});
      for (const name of secrets) if (!(name in target.declared.secrets)) problems.push(`${use.uses}: secret '${name}' is not declared in ${target.file}`);
      for (const [name, secret] of Object.entries(target.declared.secrets)) if (secret.required && !secrets.includes(name)) problems.push(`${use.uses}: required secret '${name}' is not given`);
    }
  }
  return problems;
}
