// The few facts about the workflow run that the build needs, from the runner's environment.
import { readFileSync } from 'node:fs';
import type { BuildOrigin } from '../pipeline/tags.js';

interface EventPayload {
  before?: string;
  pull_request?: { base?: { sha?: string } };
}

function payload(env: NodeJS.ProcessEnv): EventPayload {
  if (!env.GITHUB_EVENT_PATH) return {};
  try {
    return JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as EventPayload;
  } catch {
    return {};
  }
}

/** The commit to detect changes from: the push's `before`, or a pull request's base. */
export function defaultSince(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const event = payload(env);
  return event.before || event.pull_request?.base?.sha || undefined;
}

/** Commit, branch (the PR's head branch on pull requests) and repository URL of this run. */
export function runOrigin(env: NodeJS.ProcessEnv = process.env, now = new Date()): BuildOrigin {
  const origin: BuildOrigin = { created: now.toISOString() };
  if (env.GITHUB_SHA && /^[0-9a-f]{40}$/.test(env.GITHUB_SHA)) origin.commit = env.GITHUB_SHA;
  const branch = env.GITHUB_HEAD_REF || (env.GITHUB_REF?.startsWith('refs/heads/') ? env.GITHUB_REF.slice('refs/heads/'.length) : undefined);
  if (branch) origin.branch = branch;
  if (env.GITHUB_REPOSITORY) origin.sourceUrl = `${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}`;
  return origin;
}

/** Unique per run attempt; marks what this job creates so its post step can find it. */
export function runId(env: NodeJS.ProcessEnv = process.env): string {
  const id = env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || '1'}` : `local-${process.pid}`;
  return `${id}-${Date.now().toString(36)}`;
}
