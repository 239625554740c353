// P1: a template's smoke commands, run in an image pinned by digest, through whichever
// builder is in use (a pod on Kubernetes, `buildah run` locally). Also finds the digest the
// `test` tag points at, for the smoke-test action that runs after a build.
import type { Builder, SmokeResult } from './build/types.js';
import type { PlannedImage } from './plan/types.js';
import { destinationRepository, testTag } from './build/tags.js';
import { parseReference } from './registry/reference.js';
import type { RegistryClient } from './registry/client.js';
import { UserError } from './errors.js';

export interface SmokeCheck {
  passed: boolean;
  results: SmokeResult[];
}

export interface SmokeOptions {
  insecureRegistries: readonly string[];
  signal?: AbortSignal;
  log(line: string): void;
}

/** Runs the image's smoke commands in `reference` (`repo@sha256:…`); no commands passes. */
export async function smokeTest(builder: Builder, image: Pick<PlannedImage, 'name' | 'smoke' | 'credentials'>, reference: string, options: SmokeOptions): Promise<SmokeCheck> {
  if (image.smoke.length === 0) return { passed: true, results: [] };
  if (parseReference(reference).digest === undefined) throw new Error(`smoke tests run against a digest, not '${reference}'`);
  const results = await builder.smoke({
    name: image.name,
    image: reference,
    commands: image.smoke,
    insecureRegistries: [...options.insecureRegistries],
    ...(image.credentials !== undefined ? { credentials: image.credentials } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    log: options.log,
  });
  const missing = image.smoke.filter((c) => !results.some((r) => r.name === c.name));
  if (missing.length > 0) throw new UserError(`${image.name}: the builder returned no result for smoke test(s) ${missing.map((c) => c.name).join(', ')}`);
  return { passed: results.every((r) => r.passed), results };
}

/** `repo@digest` of the image's test tag in the registry in use; a clear error if it is not there. */
export async function resolveTestImage(client: RegistryClient, image: Pick<PlannedImage, 'name' | 'repository' | 'tags'>, registry?: string): Promise<string> {
  const repository = destinationRepository(image.repository, registry);
  const ref = parseReference(repository);
  const tag = testTag(image);
  const head = await client.headManifest({ registry: ref.registry, repository: ref.repository }, tag);
  if (!head) throw new UserError(`${image.name}: ${repository}:${tag} does not exist (build the image first)`);
  return `${repository}@${head.digest}`;
}

/** One line per command for logs and summaries: `✔ git (0.4 s)` / `✘ user: exit code 1`. */
export function describeSmoke(check: SmokeCheck | undefined): string {
  if (!check) return 'not run';
  if (check.results.length === 0) return 'no smoke tests';
  const failed = check.results.filter((r) => !r.passed);
  if (failed.length === 0) return `passed (${check.results.length})`;
  return `failed: ${failed.map((r) => `${r.name} (exit code ${r.exitCode})`).join(', ')}`;
}
