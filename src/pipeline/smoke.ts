// P1: a template's smoke commands, run in an image pinned by digest, through whichever
// builder is in use (a pod on Kubernetes, `buildah run` locally). Also finds the digest the
// `test` tag points at, for the smoke-test action that runs after a build.
import type { Builder, SmokeResult } from '../builders/types.js';
import type { PlannedImage } from '../plan/types.js';
import { destinationRepository, testTag } from './tags.js';
import { parseReference, parseRepository } from '../systems/registry/reference.js';
import type { RegistryClient } from '../systems/registry/client.js';
import { UserError, describeError } from '../lib/errors.js';

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
  const tag = testTag(image);
  const head = await client.headManifest(parseRepository(repository), tag);
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

export interface SmokeReport {
  name: string;
  /** `repo@digest` that was tested. */
  reference?: string;
  status: 'passed' | 'failed' | 'none' | 'error';
  results: SmokeResult[];
  /** Why the tests could not run (image missing, builder error). */
  error?: string;
}

export interface SmokeImagesOptions {
  images: readonly Pick<PlannedImage, 'name' | 'repository' | 'tags' | 'smoke' | 'credentials'>[];
  builder: Builder;
  client: RegistryClient;
  registry?: string;
  /** References to test by image name (the build's `images` output); others use the test tag. */
  references?: Readonly<Record<string, string>>;
  insecureRegistries: readonly string[];
  signal?: AbortSignal;
  log(name: string, line: string): void;
  onStart?(name: string): void;
  onDone?(report: SmokeReport): void;
}

/** The smoke-test action's work: each image's commands against its test image, one image at a time. */
export async function smokeTestImages(options: SmokeImagesOptions): Promise<SmokeReport[]> {
  const reports: SmokeReport[] = [];
  for (const image of options.images) {
    if (options.signal?.aborted) break;
    options.onStart?.(image.name);
    let report: SmokeReport;
    try {
      const reference = options.references?.[image.name] ?? (await resolveTestImage(options.client, image, options.registry));
      const check = await smokeTest(options.builder, image, reference, {
        insecureRegistries: options.insecureRegistries,
        ...(options.signal ? { signal: options.signal } : {}),
        log: (line) => options.log(image.name, line),
      });
      report = { name: image.name, reference, status: check.results.length === 0 ? 'none' : check.passed ? 'passed' : 'failed', results: check.results };
    } catch (err) {
      report = { name: image.name, status: 'error', results: [], error: describeError(err) };
    }
    reports.push(report);
    options.onDone?.(report);
  }
  return reports;
}

/** Job summary for the smoke-test action. */
export function smokeSummaryMarkdown(reports: readonly SmokeReport[]): string {
  const lines = ['## Smoke tests', ''];
  if (reports.length === 0) return [...lines, 'No images to test.', ''].join('\n');
  lines.push('| Image | Result | Image tested | Details |', '| --- | --- | --- | --- |');
  for (const r of reports) {
    const details = r.error ?? describeSmoke({ passed: r.status === 'passed', results: r.results });
    lines.push(`| ${r.name} | ${r.status} | ${r.reference ? `\`${r.reference}\`` : ''} | ${details.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
  }
  for (const r of reports) {
    for (const s of r.results.filter((x) => !x.passed)) {
      lines.push('', `<details><summary>${r.name}: ${s.name} (exit code ${s.exitCode})</summary>`, '', '```', s.output.split('\n').slice(-30).join('\n'), '```', '</details>');
    }
  }
  lines.push('');
  return lines.join('\n');
}
