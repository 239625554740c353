// E1: the personalised environment image, as data. The Dockerfile extends the chosen image the
// way the devcontainers CLI extends one for features: pin the parent by digest, switch to root,
// add the platform's assets under /tmp/coder and the user's `personalize` steps (one layer
// each), then give the image back its own user. The build ID is a content hash of exactly
// those inputs, so the same inputs find the image already pushed. Pure: no I/O.
import { createHash } from 'node:crypto';
import { UserError } from '../lib/errors.js';

/** Bumped when the generated Dockerfile changes shape, so old build IDs never match new ones. */
const BUILD_ID_VERSION = 'build-image/personalised/v1';
export const ASSETS_PATH = '/tmp/coder';
export const BUILD_ID_LABEL = 'org.coder.build-image.build-id';
export const ENVIRONMENT_LABEL = 'org.coder.build-image.environment';
export const BUILD_TAG_PREFIX = 'build-';

/** Where the platform's assets come from: a folder (the build context) or an image. */
export type AssetsSource =
  | { kind: 'none' }
  /** `files`: sorted `path mode digest` lines of the folder (FileHasher.context). */
  | { kind: 'folder'; files: readonly string[] }
  /** An image pinned by digest whose root is copied, e.g. the platform's assets image. */
  | { kind: 'image'; reference: string };

export interface PersonalisedImageInput {
  environment: string;
  /** Parent repository, e.g. `127.0.0.1:5000/acme/team-dev`. */
  parentRepository: string;
  /** Manifest digest of the parent. */
  parentDigest: string;
  /** The parent's configured user (image config `User`), '' or undefined for root. */
  parentUser?: string;
  assets: AssetsSource;
  /** Dockerfile instructions, each its own layer. */
  steps: readonly string[];
}

const ALLOWED = new Set(['RUN', 'COPY', 'ADD', 'ENV', 'WORKDIR', 'USER', 'LABEL', 'ARG', 'SHELL', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD']);

/**
 * Checks personalize steps: each is one Dockerfile instruction that extends an image (a FROM
 * would start another stage and drop everything before it). Returns one message per problem.
 */
export function stepProblems(steps: readonly string[]): string[] {
  const problems: string[] = [];
  steps.forEach((step, i) => {
    const text = step.trim();
    const keyword = /^([A-Za-z]+)\b/.exec(text)?.[1]?.toUpperCase();
    const where = `personalize step ${i + 1}`;
    if (text === '') problems.push(`${where} is empty`);
    else if (keyword === 'FROM') problems.push(`${where}: FROM is not allowed; personalize steps extend the chosen image`);
    else if (keyword === 'ONBUILD' || keyword === 'MAINTAINER') problems.push(`${where}: ${keyword} is not allowed here`);
    else if (keyword === undefined || !ALLOWED.has(keyword)) {
      problems.push(`${where}: '${text.split('\n')[0]}' is not a Dockerfile instruction; to run a command write 'RUN ${text.split('\n')[0]}'`);
    } else if (/\n\s*(FROM|ONBUILD)\b/i.test(text.replace(/\\\n/g, ' '))) {
      problems.push(`${where}: one instruction per step; put the next one in its own step`);
    }
  });
  return problems;
}

/** The content hash behind the build-ID tag: parent digest, assets and steps, nothing else. */
export function buildId(input: PersonalisedImageInput): string {
  const material = JSON.stringify({
    v: BUILD_ID_VERSION,
    parent: input.parentDigest,
    user: input.parentUser ?? '',
    assets: input.assets.kind === 'folder' ? { folder: input.assets.files } : input.assets.kind === 'image' ? { image: input.assets.reference } : null,
    steps: input.steps.map((s) => s.trim()),
  });
  return createHash('sha256').update(material).digest('hex');
}

/** The tag a personalised image is pushed with: `build-<first 20 hex of the build ID>`. */
export function buildTag(id: string): string {
  return `${BUILD_TAG_PREFIX}${id.slice(0, 20)}`;
}

/**
 * Where personalised images go: `<registry>/<parent path without its last part>/env-<name>`,
 * e.g. `127.0.0.1:5000/acme/team-dev` -> `127.0.0.1:5000/acme/env-team-a`.
 */
export function personalisedRepository(parentRepository: string, environment: string): string {
  const parts = parentRepository.split('/');
  parts[parts.length - 1] = `env-${environment.toLowerCase().replace(/[^a-z0-9._-]+/g, '-')}`;
  return parts.join('/');
}

/** The user to restore: the parent's, in the form the image config holds it. */
function userLine(user: string | undefined): string | undefined {
  if (user === undefined || user === '' || user === 'root' || user === '0' || user === '0:0') return undefined;
  if (/[\s"']/.test(user)) throw new UserError(`the parent image's user '${user}' cannot be restored in a Dockerfile`);
  return `USER ${user}`;
}

/** The personalised Dockerfile, byte for byte what is built (and what `--dry-run` prints). */
export function personalisedDockerfile(input: PersonalisedImageInput): string {
  const problems = stepProblems(input.steps);
  if (problems.length > 0) throw new UserError(`environment '${input.environment}': ${problems.join('; ')}`);
  const id = buildId(input);
  const parent = `${input.parentRepository}@${input.parentDigest}`;
  const lines = [`# Personalised image of environment ${input.environment}, generated by build-image (build ID ${id.slice(0, 20)}).`, `FROM ${parent}`, 'USER root'];
  if (input.assets.kind === 'folder') lines.push(`COPY . ${ASSETS_PATH}/`);
  if (input.assets.kind === 'image') lines.push(`COPY --from=${input.assets.reference} / ${ASSETS_PATH}/`);
  for (const step of input.steps) lines.push(step.trim());
  const restore = userLine(input.parentUser);
  // A step may have switched user; the image keeps its own, as devcontainers' CLI does.
  if (restore) lines.push(restore);
  else if (input.steps.some((s) => /^USER\b/i.test(s.trim()))) lines.push('USER root');
  lines.push(`LABEL ${ENVIRONMENT_LABEL}="${input.environment}" ${BUILD_ID_LABEL}="${id}" org.opencontainers.image.base.name="${parent}" org.opencontainers.image.base.digest="${input.parentDigest}"`);
  return `${lines.join('\n')}\n`;
}
