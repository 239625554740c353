// T6: what build-image takes from a devcontainer.json: the parent image (`image`, or a build
// from `build.dockerfile` / `context` / `args`), `containerEnv` and `remoteUser`. Features,
// compose files and the rest stay validation errors (src/templates/check.ts). Pure.
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import { devcontainerProblem, parseJsonc } from '../templates/check.js';
import { UserError } from '../lib/errors.js';

export interface DevcontainerSpec {
  /** Path of the devcontainer.json, relative to the repository root. */
  file: string;
  /** The parent is this image as written, or built from a Dockerfile. */
  parent: { kind: 'image'; reference: string } | { kind: 'build'; dockerfile: string; context: string; args: Record<string, string> };
  containerEnv: Record<string, string>;
  /** The user the environment runs as, instead of the image's. */
  remoteUser?: string;
}

function strings(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${where} must be an object of strings`);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** Reads a devcontainer.json text (`file` relative to the repository root; paths inside are relative to its folder). */
export function parseDevcontainer(file: string, text: string): DevcontainerSpec {
  const problem = devcontainerProblem(text);
  if (problem) throw new UserError(`${file}: ${problem}`);
  const config = parseJsonc(text) as {
    image?: string;
    dockerFile?: string;
    context?: string;
    build?: { dockerfile?: string; context?: string; args?: Record<string, unknown> };
    containerEnv?: Record<string, unknown>;
    remoteUser?: string;
    containerUser?: string;
  };
  const folder = posix.dirname(file.split('\\').join('/'));
  const spec: DevcontainerSpec = {
    file,
    parent: { kind: 'image', reference: '' },
    containerEnv: strings(config.containerEnv, `${file}: containerEnv`),
  };
  const user = config.remoteUser ?? config.containerUser;
  if (user !== undefined) spec.remoteUser = String(user);
  const dockerfile = config.build?.dockerfile ?? config.dockerFile;
  if (dockerfile !== undefined) {
    spec.parent = {
      kind: 'build',
      dockerfile: posix.normalize(posix.join(folder, String(dockerfile))),
      context: posix.normalize(posix.join(folder, String(config.build?.context ?? config.context ?? '.'))),
      args: strings(config.build?.args, `${file}: build.args`),
    };
  } else spec.parent = { kind: 'image', reference: String(config.image) };
  return spec;
}

/** The tag a devcontainer build is pushed with: a hash of its context files, Dockerfile and args. */
export function devcontainerTag(contextFiles: readonly string[], dockerfile: string, args: Record<string, string>): string {
  const material = JSON.stringify({ v: 'build-image/devcontainer/v1', contextFiles, dockerfile, args: Object.entries(args).sort() });
  return `devcontainer-${createHash('sha256').update(material).digest('hex').slice(0, 20)}`;
}

/** Absolute paths of the devcontainer build's Dockerfile and context. */
export function devcontainerPaths(root: string, parent: Extract<DevcontainerSpec['parent'], { kind: 'build' }>): { dockerfile: string; context: string } {
  return { dockerfile: join(root, parent.dockerfile), context: join(root, parent.context) };
}
