// Finds and parses the templates of a repo: `.coder/{images,environments,secrets}/*.yaml` and the
// convention layout `images/<name>/Dockerfile` (with `container-assets/`), which needs no YAML;
// variant Dockerfiles beside it (`<variant>.Dockerfile`, `Dockerfile.<variant>`) and a template's
// `spec.variants` each become an image of their own.
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../lib/errors.js';
import { secretNameOf } from '../secrets/check.js';
import type { Problem } from './problems.js';
import { readRepoText } from './read.js';
import { validateSchema, type TemplateKind } from './schema.js';
import type { EnvironmentTemplate, ImageSpec, ImageTemplate, Parameter, SecretTemplate, TemplateRepo } from './types.js';
import { lazySourceFile, MAX_TEMPLATE_BYTES, parseYamlFile, type SourceFile } from './yaml.js';
import { isWithin, realPath } from './paths.js';

export const TEMPLATE_DIR = '.coder';
const KIND_DIRS: Record<TemplateKind, string> = { image: 'images', environment: 'environments', secret: 'secrets' };
const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface LoadOptions {
  /** Repository prefix for convention-layout images (e.g. `ghcr.io/acme`); default none. */
  conventionRegistry?: string;
}

/** Relative path with forward slashes, for messages and annotations. */
export function relativePath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** The repo root for a DIR argument: DIR itself, or its parent when DIR is the `.coder` folder. */
export function resolveRoot(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new UserError(`no such directory: ${dir}`);
  if (!statSync(abs).isDirectory()) throw new UserError(`not a directory: ${dir}`);
  return basename(abs) === TEMPLATE_DIR ? resolve(abs, '..') : abs;
}

/** Whether an existing `dir` resolves (through symlinks) inside `root`; a missing one is inside. */
function insideRoot(root: string, dir: string): boolean {
  const real = realPath(dir);
  return real === undefined || isWithin(realPath(root) ?? root, real);
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Every `*.yaml` entry, whatever it is: a directory or FIFO by that name is reported, not skipped. */
function listYaml(dir: string): string[] {
  return entries(dir)
    .filter((e) => /\.ya?ml$/i.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

function readSource(root: string, path: string, problems: Problem[]): SourceFile | undefined {
  const rel = relativePath(root, path);
  const read = readRepoText(root, path, MAX_TEMPLATE_BYTES, 'the template');
  if (!read.ok) {
    problems.push({ file: rel, line: read.line, column: read.line > 0 ? 1 : 0, message: read.message, title: read.title });
    return undefined;
  }
  const text = read.text;
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    problems.push({ file: rel, line: 1, column: 1, message: 'empty template file; add a template (name, type, spec) or delete the file', title: 'Empty file' });
    return undefined;
  }
  const parsed = parseYamlFile(rel, text);
  problems.push(...parsed.problems);
  return parsed.file;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function list<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

interface VariantSpec {
  name?: string;
  tags: string[];
  parameters?: Record<string, string | number | boolean>;
  dockerfile?: string;
}

/** One image per template, or one per entry of `spec.variants`. */
function toImages(file: SourceFile): ImageTemplate[] {
  const data = file.data as { name: string; spec: Record<string, unknown> };
  const spec = data.spec;
  const base: ImageSpec = {
    context: str(spec.context) ?? '.',
    dockerfile: str(spec.dockerfile) ?? 'Dockerfile',
    image: spec.image as string,
    tags: list<string>(spec.tags),
    credentials: str(spec.credentials),
    parameters: list<Parameter>(spec.parameters),
    watch: list<string>(spec.watch),
    smoke: list<ImageSpec['smoke'][number]>(spec.smoke),
    minimums: spec.minimums as 'coder' | undefined,
    resources: spec.resources as ImageSpec['resources'],
    sources: list<ImageSpec['sources'][number]>(spec.sources),
    ...(spec.source ? { source: spec.source as ImageSpec['source'] } : {}),
  };
  const variants = list<VariantSpec>(spec.variants);
  if (variants.length === 0) return [{ kind: 'image', name: data.name, file: file.path, source: file, spec: base }];
  return variants.map((v, index) => {
    const variantName = v.name ?? v.tags[0]!;
    const values = v.parameters ?? {};
    const declared = new Set(base.parameters.map((p) => p.name));
    const parameters: Parameter[] = [
      ...base.parameters.map((p) => (Object.hasOwn(values, p.name) ? { ...p, value: values[p.name] } : p)),
      ...Object.entries(values)
        .filter(([n]) => !declared.has(n))
        .map(([n, value]) => ({ name: n, value })),
    ];
    return {
      kind: 'image',
      name: `${data.name}-${variantName.toLowerCase()}`,
      file: file.path,
      source: file,
      spec: { ...base, tags: [...v.tags], dockerfile: v.dockerfile ?? base.dockerfile, parameters },
      variant: { name: variantName, template: data.name, index },
    };
  });
}

function toEnvironment(file: SourceFile): EnvironmentTemplate {
  const data = file.data as { name: string; provider?: 'kubernetes'; spec: EnvironmentTemplate['containers'] };
  return { kind: 'environment', name: data.name, file: file.path, source: file, provider: data.provider ?? 'kubernetes', containers: data.spec };
}

// A sops file: the name is the file name; the key names are in clear, the values stay encrypted.
function toSecret(file: SourceFile): SecretTemplate {
  const { sops, ...data } = file.data as { sops: { age?: { recipient: string }[] } } & Record<string, unknown>;
  return { kind: 'secret', name: secretNameOf(file.path), file: file.path, source: file, recipients: (sops.age ?? []).map((a) => a.recipient), data };
}

/**
 * Schema problems, and whether the template can still be loaded for the cross-file checks: it
 * can when its only schema problems are unknown keys (a typo must not hide the template's
 * other problems); the unknown keys are ignored for those checks.
 */
function schemaCheck(kind: TemplateKind, file: SourceFile): { problems: Problem[]; usable: boolean } {
  const result = validateSchema(kind, file);
  if (result.problems.length === 0) return { problems: [], usable: true };
  if (result.unknownKeys.length !== result.errorCount) return { problems: result.problems, usable: false };
  const data = structuredClone(file.data) as Record<string, unknown>;
  for (const { path, guess } of result.unknownKeys) {
    let node = data as Record<string | number, unknown>;
    for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
    const key = path[path.length - 1]!;
    // A misspelt key is read as the key it misspells, so the checks see what was meant.
    if (guess !== undefined && !(guess in node)) node[guess] = node[key];
    delete node[key];
  }
  const again = validateSchema(kind, lazySourceFile(file.path, file.text, data));
  if (again.problems.length > 0) return { problems: result.problems, usable: false };
  file.data = data;
  return { problems: result.problems, usable: true };
}

/** Loads every template of the repo at `root`; problems are collected, never thrown. */
export function loadTemplates(root: string, options: LoadOptions = {}): { repo: TemplateRepo; problems: Problem[] } {
  const problems: Problem[] = [];
  const repo: TemplateRepo = { root, images: [], environments: [], secrets: [] };
  let files = 0;
  for (const kind of ['image', 'environment', 'secret'] as const) {
    const dir = join(root, TEMPLATE_DIR, KIND_DIRS[kind]);
    if (!insideRoot(root, dir)) {
      problems.push({ file: relativePath(root, dir), line: 0, column: 0, message: 'this folder is a symbolic link that leaves the repository; templates must be inside it', title: 'Path outside repository' });
      continue;
    }
    for (const path of listYaml(dir)) {
      files++;
      const file = readSource(root, path, problems);
      if (!file) continue;
      const checked = schemaCheck(kind, file);
      problems.push(...checked.problems);
      if (!checked.usable) continue;
      if (kind === 'image') repo.images.push(...toImages(file));
      else if (kind === 'environment') repo.environments.push(toEnvironment(file));
      else repo.secrets.push(toSecret(file));
    }
  }
  const convention = conventionImages(root, repo.images, options, problems);
  repo.images.push(...convention);
  if (files === 0 && convention.length === 0) problems.push(noTemplatesProblem(root));
  return { repo, problems };
}

/** `Dockerfile` -> '' (the plain image), `<v>.Dockerfile` / `Dockerfile.<v>` -> v, else undefined. */
export function dockerfileVariant(fileName: string): string | undefined {
  if (fileName === 'Dockerfile') return '';
  const m = /^(?:(.+)\.Dockerfile|Dockerfile\.(.+))$/.exec(fileName);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * `images/<name>/` directories that no YAML template already builds: `Dockerfile` is the image
 * `<name>` (tag `latest`), each `<variant>.Dockerfile` or `Dockerfile.<variant>` the image
 * `<name>-<variant>` tagged `<variant>`, all in the repository `<prefix>/<name>`.
 */
function conventionImages(root: string, declared: ImageTemplate[], options: LoadOptions, problems: Problem[]): ImageTemplate[] {
  const imagesDir = join(root, 'images');
  const usedContexts = new Set(declared.map((t) => resolve(root, t.spec.context)));
  const result: ImageTemplate[] = [];
  const prefix = options.conventionRegistry?.replace(/\/+$/, '');
  for (const entry of entries(imagesDir)) {
    if (!entry.isDirectory()) continue;
    const dir = join(imagesDir, entry.name);
    if (usedContexts.has(dir)) continue;
    const name = entry.name.toLowerCase();
    const repository = prefix ? `${prefix}/${name}` : name;
    for (const file of entries(dir)
      .map((e) => e.name)
      .sort()) {
      const variant = dockerfileVariant(file);
      if (variant === undefined) continue;
      const rel = relativePath(root, join(dir, file));
      const imageName = variant === '' ? name : `${name}-${variant.toLowerCase()}`;
      if (!NAME.test(imageName) || (variant !== '' && !TAG.test(variant))) {
        problems.push({ file: rel, line: 0, column: 0, title: 'Invalid name', message: `'${imageName}' (from ${rel}) is not a valid image name or tag; name directories and variants with lowercase letters, digits, '.', '_' and '-'` });
        continue;
      }
      result.push({
        kind: 'image',
        name: imageName,
        file: rel,
        spec: {
          context: relativePath(root, dir),
          dockerfile: file,
          image: repository,
          tags: variant === '' ? [] : [variant],
          parameters: [],
          watch: [],
          smoke: [],
          sources: [],
        },
        ...(variant === '' ? {} : { variant: { name: variant, template: name } }),
      });
    }
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}

/** Dockerfiles anywhere near the top of the repository, for the "no templates" hint. */
function strayDockerfiles(root: string): string[] {
  const found: string[] = [];
  let visited = 0;
  const walk = (dir: string, depth: number): void => {
    for (const e of entries(dir)) {
      if (++visited > 5000 || found.length >= 5) return;
      if (e.isDirectory() && depth < 3 && !e.name.startsWith('.') && e.name !== 'node_modules') walk(join(dir, e.name), depth + 1);
      else if (e.isFile() && (dockerfileVariant(e.name) !== undefined || /\.dockerfile$/i.test(e.name))) found.push(relativePath(root, join(dir, e.name)));
    }
  };
  walk(root, 0);
  for (const extra of ['.devcontainer']) {
    for (const e of entries(join(root, extra))) if (e.isFile() && dockerfileVariant(e.name) !== undefined) found.push(`${extra}/${e.name}`);
  }
  return found.sort().slice(0, 5);
}

function noTemplatesProblem(root: string): Problem {
  const stray = strayDockerfiles(root);
  const expected = 'expected .coder/images/<name>.yaml templates or the images/<name>/Dockerfile layout';
  const message =
    stray.length > 0
      ? `no templates found: ${expected}. Dockerfiles found elsewhere (${stray.join(', ')}): move each to images/<name>/Dockerfile (variants as images/<name>/<variant>.Dockerfile), or write a template .coder/images/<name>.yaml whose spec.context and spec.dockerfile point at it`
      : `no templates found: ${expected}, and there is no Dockerfile here either. Is this the repository's root, and was it checked out?`;
  return { file: TEMPLATE_DIR, line: 0, column: 0, message, title: 'No templates' };
}
