import type { Command } from '../command.js';
import { parseCommandArgs } from '../command.js';
import { UsageError } from '../../lib/errors.js';
import { pushArchive } from '../../images/archive.js';
import { parseReference } from '../../systems/registry/reference.js';
import { createRegistryClient } from '../../systems/registry/setup.js';
import { resolve } from 'node:path';

const HELP = `Usage: build-image push-archive FILE --image REPO:TAG [--insecure]

Pushes an image built elsewhere to a registry: a docker-archive (docker save, Nix
dockerTools; plain or gzip'd) or an OCI image layout (a directory, or a tar of one).
Blobs the registry already has are skipped; layers are streamed. Uncompressed layers are
pushed uncompressed (OCI media type ...layer.v1.tar). Prints the manifest digest.

Options:
  --image REF    where to push (host/repo:tag)
  --insecure     reach the registry over plain HTTP or TLS without verification
  -h, --help     show this help
`;

export const pushArchiveCommand: Command = {
  name: 'push-archive',
  summary: 'push a docker-archive or OCI layout to a registry, skipping blobs it has',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('push-archive', args, { image: { type: 'string' }, insecure: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError(`push-archive: name exactly one archive file or layout directory\nRun 'build-image push-archive --help' for usage.`);
    if (!values.image) throw new UsageError(`push-archive: --image REPO:TAG is required`);
    const ref = parseReference(values.image);
    if (ref.digest) throw new UsageError(`push-archive: --image must name a tag, not a digest`);
    const client = createRegistryClient({ env: io.env, insecure: values.insecure ? [ref.registry] : [] });
    const result = await pushArchive(
      client,
      resolve(io.cwd, positionals[0]!),
      { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' },
      {
        log: (line) => io.err(`${line}\n`),
      },
    );
    io.out(`${result.digest}\n`);
    return 0;
  },
};
