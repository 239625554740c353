// Image references, parsed the way docker and the distribution project do:
// `[host[:port]/]path[:tag][@digest]`, registry docker.io when the first component does not
// look like a host, `library/` for single-component Docker Hub names. Pure: no I/O.
import { UserError } from '../../lib/errors.js';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** Host (and port) of the registry, e.g. `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/busybox`, `acme/dev`. */
  repository: string;
  tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const MAX_NAME_LENGTH = 255;

function invalid(text: string, why: string): never {
  throw new UserError(`invalid image reference '${text}': ${why}`);
}

/** True when the first path component names a registry host rather than a Docker Hub user. */
function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || /[A-Z]/.test(component);
}

/** Validates a digest string (`sha256:<64 hex>` or another algorithm). */
export function isDigest(text: string): boolean {
  if (text.startsWith('sha256:')) return SHA256_DIGEST.test(text);
  return DIGEST.test(text);
}

/**
 * Parses `host/repo:tag@digest`. Neither tag nor digest is filled in when absent; use
 * {@link withDefaultTag} for the `latest` default. Throws UserError on anything invalid.
 */
export function parseReference(text: string): ImageReference {
  const input = text.trim();
  if (input === '') invalid(text, 'it is empty');
  if (/\s/.test(input)) invalid(text, 'it contains whitespace');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) invalid(text, `'${digest}' is not a digest (expected sha256:<64 hex digits>)`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) invalid(text, `'${tag}' is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  if (rest === '') invalid(text, 'the repository name is missing');

  const components = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  if (components.length > 1 && looksLikeHost(components[0]!)) {
    registry = components.shift()!;
    if (!HOST.test(registry)) invalid(text, `'${registry}' is not a valid registry host`);
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && components.length === 1) components.unshift('library');

  for (const component of components) {
    if (component === '') invalid(text, 'the repository name has an empty path component');
    if (!PATH_COMPONENT.test(component)) {
      const why = /[A-Z]/.test(component) ? 'repository names must be lowercase' : `'${component}' is not a valid path component`;
      invalid(text, why);
    }
  }
  const repository = components.join('/');
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) invalid(text, `the name is longer than ${MAX_NAME_LENGTH} characters`);

  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The registry and repository a reference names (`ghcr.io/acme/base:1` -> ghcr.io, acme/base). */
export function parseRepository(text: string): { registry: string; repository: string } {
  const ref = parseReference(text);
  return { registry: ref.registry, repository: ref.repository };
}

/** The reference with tag `latest` when it has neither tag nor digest. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** `docker.io/library/busybox`: registry and repository, no tag or digest. */
export function normalizedName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** `busybox`, `acme/dev`, `ghcr.io/acme/dev`: the short form people type. */
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return normalizedName(ref);
  return ref.repository.startsWith('library/') && ref.repository.split('/').length === 2 ? ref.repository.slice('library/'.length) : ref.repository;
}

function suffix(ref: ImageReference): string {
  return `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The full normalised form, e.g. `docker.io/library/busybox:1.36@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return `${normalizedName(ref)}${suffix(ref)}`;
}

/** The familiar form, e.g. `busybox:1.36`. */
export function formatFamiliar(ref: ImageReference): string {
  return `${familiarName(ref)}${suffix(ref)}`;
}

/** Parses `sha256:<hex>` strictly; throws UserError otherwise. */
export function parseDigest(text: string, what = 'digest'): string {
  if (!SHA256_DIGEST.test(text)) throw new UserError(`invalid ${what} '${text}': expected sha256:<64 lowercase hex digits>`);
  return text;
}
