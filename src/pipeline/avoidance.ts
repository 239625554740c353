// Build avoidance (G4), the registry half. The scheme (docs/build-avoidance.md):
//   - the plan computes, per image, an input hash: sha256 over everything that goes into the
//     image (context files, Dockerfile, build args, the parent's digest);
//   - every build pushes, besides test/commit/branch, the tag `inputs-<hash hex>` (see
//     src/pipeline/tags.ts `inputsTag`) and sets the label `org.coder.build-image.inputs=<hash>`;
//   - lookup: HEAD the manifest at that tag; if present, read the image config and check the
//     label carries the same full hash (a tag can be moved by hand; the label is part of the
//     image). Only then is the image reused, by digest.
import { AggregateUserError } from '../lib/errors.js';
import { INPUTS_LABEL, inputsTag } from './tags.js';
import { parseRepository } from '../systems/registry/reference.js';
import { mapLimit } from '../lib/concurrency.js';
import { formatRepository, type RegistryClient, type RepositoryName } from '../systems/registry/client.js';

export { INPUTS_LABEL, inputsTag };

export interface AvoidanceCandidate {
  /** The image template name. */
  name: string;
  /** Where it is published: `ghcr.io/acme/dev` (a reference without tag) or a RepositoryName. */
  repository: string | RepositoryName;
  /** sha256 hex (with or without `sha256:`). */
  inputHash: string;
}

export interface Reusable {
  digest: string;
}

function hex(hash: string): string {
  return hash.replace(/^sha256:/, '').toLowerCase();
}

/** The digest of an image built from exactly these inputs, or undefined. */
export async function findBuiltFromInputs(client: RegistryClient, repository: RepositoryName, inputHash: string): Promise<string | undefined> {
  // A HEAD first: on most runs the tag is not there.
  const head = await client.headManifest(repository, inputsTag(hex(inputHash)));
  const image = head && (await client.imageLabels(repository, head.digest));
  const label = image?.labels[INPUTS_LABEL];
  return label !== undefined && hex(label) === hex(inputHash) ? image!.digest : undefined;
}

/**
 * Finds the images already built from the same inputs. Returns name -> digest for those that
 * can be reused; throws (one line per image) when the registry could not be asked.
 */
export async function findReusable(images: readonly AvoidanceCandidate[], client: RegistryClient, options: { concurrency?: number } = {}): Promise<Map<string, Reusable>> {
  const found = new Map<string, Reusable>();
  const errors: Error[] = [];
  await mapLimit(images, options.concurrency ?? 8, async (image) => {
    const repository = typeof image.repository === 'string' ? parseRepository(image.repository) : image.repository;
    try {
      const digest = await findBuiltFromInputs(client, repository, image.inputHash);
      if (digest) found.set(image.name, { digest });
    } catch (err) {
      errors.push(new Error(`${image.name} (${formatRepository(repository)}): ${(err as Error).message}`));
    }
  });
  if (errors.length) throw new AggregateUserError('build avoidance: could not look up earlier builds', errors);
  return found;
}
