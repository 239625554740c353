import type { Command } from '../command.js';
import { parseCommandArgs } from '../command.js';
import { UsageError } from '../../lib/errors.js';
import { promote, requestsFromReferences } from '../../promote/promote.js';
import { parseDigest } from '../../systems/registry/reference.js';
import { createRegistryClient } from '../../systems/registry/setup.js';

const HELP = `Usage: build-image promote REPO[:TAG][@DIGEST]... (--from TAG | --digest sha256:...) --to TAG[,TAG...] [--insecure]

Moves the target tags of each repository to the image that passed its tests, by digest:
a manifest put in the same repository (no layers move), a blob mount when the target is
another repository of the same registry, a streamed copy across registries.

Several REPO arguments are promoted as a set, all or nothing: every one is checked first;
if a move fails, the tags already moved are put back.

Options:
  --from TAG         the tag that was tested (e.g. test); with --digest, it must still
                     point at that digest or nothing is promoted
  --digest DIGEST    the digest that passed its tests
  --to TARGETS       comma-separated tags (default latest); an entry with a '/' is a full
                     reference (host/repo:tag) in another repository or registry
  --insecure         reach these registries over plain HTTP or TLS without verification
  -h, --help         show this help

A REPO argument may carry its own :TAG (as --from) and @DIGEST (as --digest).
Credentials come from the docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json).
Prints JSON: for each target tag, the previous and the new digest, and the rollback command.
`;

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'move tags (e.g. latest) to the tested digest, all or nothing',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('promote', args, {
      from: { type: 'string' },
      digest: { type: 'string' },
      to: { type: 'string', multiple: true },
      insecure: { type: 'boolean' },
    });
    if (positionals.length === 0) throw new UsageError(`promote: name at least one repository\nRun 'build-image promote --help' for usage.`);
    const digest = values.digest !== undefined ? parseDigest(values.digest, '--digest') : undefined;
    const requests = requestsFromReferences(positionals, { from: values.from, digest, to: values.to ?? [] }, { source: 'promote', fromOrDigest: 'give --from TAG or --digest sha256:... (or REPO:TAG / REPO@DIGEST)', usageErrors: true });
    const insecure = values.insecure ? [...new Set(requests.flatMap((r) => [r.source.registry, ...r.targets.map((t) => t.registry)]))] : [];
    const client = createRegistryClient({ env: io.env, insecure });
    const report = await promote(client, requests, {
      rollbackFlags: values.insecure ? ['--insecure'] : [],
      log: (line) => io.err(`${line}\n`),
    });
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    if (report.rollback.length) io.err(`To roll back:\n${report.rollback.map((c) => `  ${c}`).join('\n')}\n`);
    return 0;
  },
};
