// Reading action inputs the same way in every entry point.
import * as core from '@actions/core';
import { relative, resolve } from 'node:path';
import { UserError } from '../lib/errors.js';
import { parseNamedCredentials, secretValues, type NamedCredential } from '../systems/registry/credentials.js';

/** A comma- or newline-separated list input. */
export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `NAME=VALUE` lines, as the `build-args` input takes them. */
export function keyValueInput(name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of core.getMultilineInput(name)) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new UserError(`input '${name}': expected NAME=VALUE lines, got '${line}'`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

/** The templates folder input, resolved against the workspace. */
export function templatesDir(): string {
  return resolve(workspace(), core.getInput('templates') || '.');
}

export function workspace(): string {
  return process.env.GITHUB_WORKSPACE ?? process.cwd();
}

/** Prefix that turns a repo-root-relative path into a workspace-relative one for annotations. */
export function annotationPrefix(root: string): string {
  const rel = relative(workspace(), root).split('\\').join('/');
  return rel === '' ? '' : `${rel}/`;
}

/** The `credentials` input (named registry logins), every secret value masked before use. */
export function credentialsInput(): NamedCredential[] {
  // Untrimmed: a password's own trailing spaces belong to it.
  const credentials = parseNamedCredentials(core.getInput('credentials', { trimWhitespace: false }));
  for (const secret of secretValues(credentials)) core.setSecret(secret);
  return credentials;
}

/** The `built` input: the build-image action's `images` output, keyed by image name; undefined when not given. */
export function builtInput(): Record<string, Record<string, unknown>> | undefined {
  const text = core.getInput('built');
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError("input 'built': not valid JSON (pass the build-image action's 'images' output)");
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError("input 'built': expected the build-image action's 'images' output, a JSON object keyed by image name");
  }
  return value as Record<string, Record<string, unknown>>;
}

/**
 * A registry path as registries accept it: repository paths are lowercase only, and
 * `ghcr.io/${{ github.repository_owner }}` keeps the owner's capitals. Host names are
 * case-insensitive, so the whole text is lowercased.
 */
export function lowercaseRegistry(text: string): string {
  return text.trim().replace(/\/+$/, '').toLowerCase();
}

/** A registry input (`registry`, `convention-registry`), lowercased with a notice when it had capitals. */
export function registryInput(name: string): string | undefined {
  const raw = core.getInput(name);
  if (raw === '') return undefined;
  const lower = lowercaseRegistry(raw);
  if (lower !== raw.trim().replace(/\/+$/, '')) core.notice(`input '${name}': registry paths are lowercase, so '${raw.trim()}' is used as '${lower}'`);
  return lower || undefined;
}
