// Checks that span templates and files: names that must exist or be unique, paths that must
// stay inside the repo, quantities, parameters. Every problem is collected, none stops the run.
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { parseReference } from '../systems/registry/reference.js';
import { describeError } from '../lib/errors.js';
import { checkSecretFile } from '../secrets/check.js';
import type { Problem } from './problems.js';
import { checkQuantity } from './quantity.js';
import { closest } from '../lib/suggest.js';
import type { ImageTemplate, TemplateRepo } from './types.js';
import { problemAtPath, type PathSegment } from './yaml.js';
import { isWithin, realPath } from './paths.js';

export interface CheckOptions {
  /** Names of the registry credentials that exist; when absent, credential names are not checked. */
  credentialNames?: readonly string[];
}

/** A problem at a path of an image template, or on its Dockerfile for convention images. */
export function imageProblem(template: ImageTemplate, path: PathSegment[], message: string, title: string, key = false): Problem {
  if (template.source) return problemAtPath(template.source, path, message, title, key);
  return { file: template.file, line: 1, column: 1, message, title };
}

function suggestion(name: string, known: string[]): string {
  const guess = closest(name, known);
  if (guess) return ` (did you mean '${guess}'?)`;
  return known.length > 0 && known.length <= 8 ? ` (known: ${known.join(', ')})` : '';
}

function relativePath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** Whether `path` (absolute) is inside `root`, following symlinks that exist. */
export function isInside(root: string, path: string): boolean {
  const base = realRoot(root);
  let target = realPaths.get(path);
  if (target === undefined) {
    target = realPath(path) ?? resolve(path); // does not exist (yet): judge the path as written
    realPaths.set(path, target);
  }
  return isWithin(base, target);
}

const realRoots = new Map<string, string>();
const realPaths = new Map<string, string>();

/** Forgets the real paths looked up so far; each validation starts afresh (files may have moved). */
export function forgetRealPaths(): void {
  realRoots.clear();
  realPaths.clear();
}

/** The root's real path, looked up once per root: a plan asks thousands of times. */
function realRoot(root: string): string {
  let real = realRoots.get(root);
  if (real === undefined) {
    real = realPath(root) ?? root;
    realRoots.set(root, real);
  }
  return real;
}

/** Resolved build args of an image: parameter values over defaults, stringified. */
export function buildArgsOf(template: ImageTemplate): Record<string, string> {
  const args: Record<string, string> = {};
  for (const p of template.spec.parameters) {
    const value = p.value ?? p.default;
    if (value !== undefined) args[p.name] = String(value);
  }
  return args;
}

export function checkRepo(repo: TemplateRepo, options: CheckOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const imageNames = repo.images.map((t) => t.name);
  const isImageTemplate = new Set(imageNames);
  const secretsByName = new Map<string, (typeof repo.secrets)[number]>();

  // Duplicate names, within each kind.
  for (const list of [repo.images, repo.environments, repo.secrets] as const) {
    const first = new Map<string, string>();
    for (const t of list) {
      const seen = first.get(t.name);
      if (seen === undefined) {
        first.set(t.name, t.file);
        continue;
      }
      const message = `duplicate ${t.kind} name '${t.name}': also defined in ${seen}`;
      problems.push(t.source ? problemAtPath(t.source, ['name'], message, 'Duplicate name') : { file: t.file, line: 1, column: 1, message, title: 'Duplicate name' });
    }
  }
  for (const s of repo.secrets) {
    problems.push(...checkSecretFile(s.source));
    secretsByName.set(s.name, s);
    secretsByName.set(s.file.split('/').pop()!, s);
    secretsByName.set(
      s.file
        .split('/')
        .pop()!
        .replace(/\.ya?ml$/, ''),
      s,
    );
  }

  for (const t of repo.images) problems.push(...checkImage(repo, t, options));

  for (const env of repo.environments) {
    const src = env.source;
    const primaries = env.containers.map((c, i) => ({ c, i })).filter(({ c }) => c.primary === true);
    if (primaries.length > 1) {
      for (const { i } of primaries.slice(1)) {
        problems.push(problemAtPath(src, ['spec', i, 'primary'], `two primary containers: '${env.containers[primaries[0]!.i]!.name}' and '${env.containers[i]!.name}'; mark exactly one container primary: true`, 'Two primary containers'));
      }
    } else if (primaries.length === 0 && env.containers.length > 1) {
      problems.push(problemAtPath(src, ['spec'], `no container is marked primary: true; mark the container developers work in`, 'No primary container'));
    }
    const containerNames = new Map<string, number>();
    env.containers.forEach((c, i) => {
      const prior = containerNames.get(c.name);
      if (prior !== undefined) {
        problems.push(problemAtPath(src, ['spec', i, 'name'], `duplicate container name '${c.name}' (also container ${prior + 1})`, 'Duplicate container name'));
      } else containerNames.set(c.name, i);

      const primary = c.primary === true || env.containers.length === 1;
      if (c.image === undefined && c.devcontainer === undefined) {
        problems.push(problemAtPath(src, ['spec', i], `container '${c.name}' needs 'image' (an image template name or an image reference) or 'devcontainer'`, 'Missing image'));
      }
      if (c.image !== undefined && c.devcontainer !== undefined) {
        problems.push(problemAtPath(src, ['spec', i, 'devcontainer'], `container '${c.name}' has both 'image' and 'devcontainer'; keep one`, 'Conflicting keys'));
      }
      if (c.devcontainer !== undefined) {
        const path = resolve(repo.root, c.devcontainer);
        if (!isInside(repo.root, path)) problems.push(problemAtPath(src, ['spec', i, 'devcontainer'], `devcontainer '${c.devcontainer}' is outside the repository`, 'Path outside repository'));
        else if (!existsSync(path)) problems.push(problemAtPath(src, ['spec', i, 'devcontainer'], `devcontainer file '${c.devcontainer}' does not exist`, 'Missing file'));
        else {
          const why = devcontainerProblem(readFileSync(path, 'utf8'));
          if (why) problems.push(problemAtPath(src, ['spec', i, 'devcontainer'], `${c.devcontainer}: ${why}`, 'Unsupported devcontainer'));
        }
      }
      if (c.image !== undefined && c.github === undefined) {
        const isTemplate = isImageTemplate.has(c.image);
        const wantsTemplate = primary || c.tag !== undefined || c.personalize !== undefined;
        if (!isTemplate && wantsTemplate) {
          const looksLikeRef = /[/:@]/.test(c.image);
          if (!looksLikeRef || c.personalize !== undefined || c.tag !== undefined) {
            problems.push(
              problemAtPath(src, ['spec', i, 'image'], `unknown image template '${c.image}'${suggestion(c.image, imageNames)}; name an image template of this repository, or set 'github' to the repository that holds it`, 'Unknown image'),
            );
          }
        } else if (!isTemplate) {
          try {
            parseReference(c.image);
          } catch (err) {
            problems.push(problemAtPath(src, ['spec', i, 'image'], `${describeError(err)}${suggestion(c.image, imageNames)}`, 'Invalid image reference'));
          }
        }
      }
      if (c.credentials !== undefined && options.credentialNames && !options.credentialNames.includes(c.credentials)) {
        problems.push(problemAtPath(src, ['spec', i, 'credentials'], `unknown credentials '${c.credentials}'${suggestion(c.credentials, [...options.credentialNames])}`, 'Unknown credentials'));
      }
      for (const kind of ['cpu', 'memory'] as const) {
        if (c[kind] === undefined) continue;
        const q = checkQuantity(kind, c[kind]);
        if (!q.ok) problems.push(problemAtPath(src, ['spec', i, kind], q.message, 'Invalid quantity'));
      }
      c.volumes?.forEach((v, j) => {
        if (v.size === undefined) return;
        const q = checkQuantity('memory', v.size);
        if (!q.ok) problems.push(problemAtPath(src, ['spec', i, 'volumes', j, 'size'], q.message.replace(/^memory/, 'size'), 'Invalid quantity'));
      });
      c.env?.forEach((e, j) => {
        if (typeof e.value !== 'object') return;
        const ref = e.value.fromSecret;
        const secret = secretsByName.get(ref.name);
        if (!secret) {
          problems.push(
            problemAtPath(
              src,
              ['spec', i, 'env', j, 'value', 'fromSecret', 'name'],
              `unknown secret '${ref.name}'${suggestion(
                ref.name,
                repo.secrets.map((s) => s.name),
              )}; create it with 'build-image secret create'`,
              'Unknown secret',
            ),
          );
        } else if (!(ref.key in secret.data)) {
          problems.push(problemAtPath(src, ['spec', i, 'env', j, 'value', 'fromSecret', 'key'], `secret '${secret.name}' has no key '${ref.key}'${suggestion(ref.key, Object.keys(secret.data))}`, 'Unknown secret key'));
        }
      });
    });
  }
  return problems;
}

const IMAGE_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

function checkImage(repo: TemplateRepo, t: ImageTemplate, options: CheckOptions): Problem[] {
  const problems: Problem[] = [];
  const variantIndex = t.variant?.index;
  if (variantIndex !== undefined) {
    const spec = (t.source?.data as { spec?: Record<string, unknown> } | undefined)?.spec;
    // Reported once, on the first variant.
    if (variantIndex === 0 && spec && Array.isArray(spec.tags)) {
      problems.push(imageProblem(t, ['spec', 'tags'], 'spec.tags and spec.variants both set: with variants, each variant lists its own tags; move these tags into the variants', 'Conflicting keys'));
    }
    if (!IMAGE_NAME.test(t.name)) {
      const named = spec && Array.isArray(spec.variants) && (spec.variants[variantIndex] as { name?: unknown })?.name !== undefined;
      problems.push(
        imageProblem(
          t,
          ['spec', 'variants', variantIndex, named ? 'name' : 'tags'],
          `variant image name '${t.name}' (template name, '-', variant name) is not a valid name: lowercase letters, digits, '.', '_' and '-', at most 63 characters; give the variant a shorter 'name'`,
          'Invalid name',
        ),
      );
    }
  }
  try {
    const ref = parseReference(t.spec.image);
    if (ref.tag !== undefined || ref.digest !== undefined) {
      problems.push(imageProblem(t, ['spec', 'image'], `spec.image '${t.spec.image}' is a repository and takes no ${ref.digest ? 'digest' : 'tag'}; put fixed tags in spec.tags`, 'Invalid repository'));
    }
  } catch (err) {
    problems.push(imageProblem(t, ['spec', 'image'], `spec.image: ${describeError(err).replace(/^invalid image reference/, 'invalid repository name')}`, 'Invalid repository'));
  }
  const context = resolve(repo.root, t.spec.context);
  if (!isInside(repo.root, context)) {
    problems.push(imageProblem(t, ['spec', 'context'], `context '${t.spec.context}' is outside the repository; contexts are relative to the repository root and must stay inside it`, 'Context outside repository'));
  } else if (!existsSync(context)) {
    problems.push(imageProblem(t, ['spec', 'context'], `context directory '${t.spec.context}' does not exist`, 'Missing context'));
  } else {
    const dockerfile = resolve(context, t.spec.dockerfile);
    if (!isInside(repo.root, dockerfile)) {
      problems.push(imageProblem(t, ['spec', 'dockerfile'], `dockerfile '${t.spec.dockerfile}' is outside the repository`, 'Dockerfile outside repository'));
    } else if (!existsSync(dockerfile)) {
      problems.push(
        imageProblem(
          t,
          t.source?.data && (t.source.data as { spec: object }).spec && 'dockerfile' in (t.source.data as { spec: object }).spec ? ['spec', 'dockerfile'] : ['spec', 'context'],
          `missing Dockerfile: ${relativePath(repo.root, dockerfile)} does not exist`,
          'Missing Dockerfile',
        ),
      );
    }
  }
  const seen = new Set<string>();
  t.spec.parameters.forEach((p, i) => {
    if (seen.has(p.name)) problems.push(imageProblem(t, ['spec', 'parameters', i, 'name'], `parameter '${p.name}' is declared twice`, 'Duplicate parameter'));
    seen.add(p.name);
    if (p.required && p.value === undefined && p.default === undefined) {
      problems.push(imageProblem(t, ['spec', 'parameters', i], `required parameter '${p.name}' has no value; give it a 'value' or a 'default'`, 'Missing parameter value'));
    }
  });
  if (t.spec.credentials !== undefined && options.credentialNames && !options.credentialNames.includes(t.spec.credentials)) {
    problems.push(imageProblem(t, ['spec', 'credentials'], `unknown credentials '${t.spec.credentials}'${suggestion(t.spec.credentials, [...options.credentialNames])}`, 'Unknown credentials'));
  }
  for (const kind of ['cpu', 'memory'] as const) {
    const value = t.spec.resources?.[kind];
    if (value === undefined) continue;
    const q = checkQuantity(kind, value);
    if (!q.ok) problems.push(imageProblem(t, ['spec', 'resources', kind], q.message, 'Invalid quantity'));
  }
  t.spec.sources.forEach((source, i) => {
    if ((source.github === undefined) === (source.git === undefined)) {
      problems.push(imageProblem(t, ['spec', 'sources', i], "a linked source names its repository once: either 'github: owner/repo' or 'git: URL'", 'Invalid source'));
    }
  });
  t.spec.watch.forEach((w, i) => {
    if (w.startsWith('/') || w.split('/').includes('..')) {
      problems.push(imageProblem(t, ['spec', 'watch', i], `watch path '${w}' must be relative to the repository root and stay inside it`, 'Path outside repository'));
    }
  });
  return problems;
}

/** devcontainer.json is JSON with comments and trailing commas. */
export function parseJsonc(text: string): unknown {
  const withoutComments = text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, str: string | undefined) => str ?? '');
  return JSON.parse(withoutComments.replace(/,(\s*[}\]])/g, '$1'));
}

/**
 * What build-image can take from a Dev Container definition: `image`, or `build` with
 * `dockerfile`, `context` and `args`. Features need the devcontainer CLI; say so plainly.
 */
export function devcontainerProblem(text: string): string | undefined {
  let config: { image?: unknown; build?: { dockerfile?: unknown }; dockerFile?: unknown; features?: Record<string, unknown>; dockerComposeFile?: unknown };
  try {
    config = parseJsonc(text) as typeof config;
  } catch (err) {
    return `not valid JSON: ${(err as Error).message}`;
  }
  if (config === null || typeof config !== 'object') return 'expected a JSON object';
  if (config.dockerComposeFile !== undefined) return 'dockerComposeFile is not supported; list the services as containers of the environment instead';
  if (config.features && Object.keys(config.features).length > 0) {
    return `features are not supported (${Object.keys(config.features).join(', ')}); install those tools in the Dockerfile instead`;
  }
  if (config.image === undefined && config.build?.dockerfile === undefined && config.dockerFile === undefined) {
    return "needs 'image' or 'build.dockerfile'";
  }
  return undefined;
}
