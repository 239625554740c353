// Reading action inputs the same way in every entry point.
import * as core from '@actions/core';
import { relative, resolve } from 'node:path';
import { UserError } from '../errors.js';

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
