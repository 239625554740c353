// Finds and parses the templates of a repo: `.coder/{images,environments,secrets}/*.yaml` and the
// convention layout `images/<name>/Dockerfile` (with `container-assets/`), which needs no YAML.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../lib/errors.js';
import { secretNameOf } from '../secrets/check.js';
import type { Problem } from './problems.js';
import { validateSchema, type TemplateKind } from './schema.js';
import type { EnvironmentTemplate, ImageSpec, ImageTemplate, SecretTemplate, TemplateRepo } from './types.js';
import { checkTextContent, parseYamlFile, type SourceFile } from './yaml.js';

export const TEMPLATE_DIR = '.coder';
const KIND_DIRS: Record<TemplateKind, string> = { image: 'images', environment: 'environments', secret: 'secrets' };

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

function listYaml(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

function readSource(root: string, path: string, problems: Problem[]): SourceFile | undefined {
  const rel = relativePath(root, path);
  let bytes: Buffer;
  try {
    if (statSync(path).size > 1024 * 1024) {
      problems.push({ file: rel, line: 0, column: 0, message: `file is ${statSync(path).size} bytes; templates are limited to 1 MiB`, title: 'File too large' });
      return undefined;
    }
    bytes = readFileSync(path);
  } catch (err) {
    problems.push({ file: rel, line: 0, column: 0, message: `cannot read file: ${(err as Error).message}`, title: 'Unreadable file' });
    return undefined;
  }
  const bad = checkTextContent(rel, bytes);
  if (bad) {
    problems.push(bad);
    return undefined;
  }
  const text = bytes.toString('utf8');
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

function toImage(file: SourceFile): ImageTemplate {
  const data = file.data as { name: string; spec: Record<string, unknown> };
  const spec = data.spec;
  return {
    kind: 'image',
    name: data.name,
    file: file.path,
    source: file,
    spec: {
      context: str(spec.context) ?? '.',
      dockerfile: str(spec.dockerfile) ?? 'Dockerfile',
      image: spec.image as string,
      tags: (spec.tags as string[] | undefined) ?? [],
      credentials: str(spec.credentials),
      parameters: (spec.parameters as ImageSpec['parameters'] | undefined) ?? [],
      watch: (spec.watch as string[] | undefined) ?? [],
      smoke: (spec.smoke as ImageSpec['smoke'] | undefined) ?? [],
      minimums: spec.minimums as 'coder' | undefined,
      resources: spec.resources as ImageSpec['resources'],
      sources: (spec.sources as ImageSpec['sources'] | undefined) ?? [],
    },
  };
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

/** Loads every template of the repo at `root`; problems are collected, never thrown. */
export function loadTemplates(root: string, options: LoadOptions = {}): { repo: TemplateRepo; problems: Problem[] } {
  const problems: Problem[] = [];
  const repo: TemplateRepo = { root, images: [], environments: [], secrets: [] };
  for (const kind of ['image', 'environment', 'secret'] as const) {
    for (const path of listYaml(join(root, TEMPLATE_DIR, KIND_DIRS[kind]))) {
      const file = readSource(root, path, problems);
      if (!file) continue;
      const schemaProblems = validateSchema(kind, file);
      if (schemaProblems.length > 0) {
        problems.push(...schemaProblems);
        continue;
      }
      if (kind === 'image') repo.images.push(toImage(file));
      else if (kind === 'environment') repo.environments.push(toEnvironment(file));
      else repo.secrets.push(toSecret(file));
    }
  }
  repo.images.push(...conventionImages(root, repo.images, options));
  return { repo, problems };
}

/** `images/<name>/Dockerfile` directories that no YAML template already builds. */
function conventionImages(root: string, declared: ImageTemplate[], options: LoadOptions): ImageTemplate[] {
  const imagesDir = join(root, 'images');
  if (!existsSync(imagesDir) || !statSync(imagesDir).isDirectory()) return [];
  const usedContexts = new Set(declared.map((t) => resolve(root, t.spec.context)));
  const result: ImageTemplate[] = [];
  for (const entry of readdirSync(imagesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(imagesDir, entry.name);
    if (usedContexts.has(dir) || !existsSync(join(dir, 'Dockerfile'))) continue;
    const name = entry.name.toLowerCase();
    const prefix = options.conventionRegistry?.replace(/\/+$/, '');
    result.push({
      kind: 'image',
      name,
      file: relativePath(root, join(dir, 'Dockerfile')),
      spec: {
        context: relativePath(root, dir),
        dockerfile: 'Dockerfile',
        image: prefix ? `${prefix}/${name}` : name,
        tags: [],
        parameters: [],
        watch: [],
        smoke: [],
        sources: [],
      },
    });
  }
  return result.sort((a, b) => a.name.localeCompare(b.name));
}
