import type { Command } from '../command.js';
import { oneOf, parseCommandArgs } from '../command.js';
import { UsageError } from '../../lib/errors.js';
import { MINIMUMS_PROFILES, checkImageMinimums, formatMinimumsReport } from '../../images/minimums.js';
import { parseReference } from '../../systems/registry/reference.js';
import { createRegistryClient } from '../../systems/registry/setup.js';

const HELP = `Usage: build-image check-image REF [--minimums coder] [--format text|json] [--insecure]

Checks an image in a registry against the image minimums without running it: the layers
are read (whiteouts applied, symlinks followed) and each rule is reported:
  a shell (/bin/sh or bash); curl, wget or busybox; git; CA certificates;
  a non-root default user.
Exits 1 when a rule is not met.

Options:
  --minimums NAME    the rule set (coder, the default)
  --platform OS/ARCH which image of a multi-platform index (default linux/<this machine>)
  --format FORMAT    text (default) or json
  --insecure         reach the registry over plain HTTP or TLS without verification
  -h, --help         show this help
`;

export const checkImageCommand: Command = {
  name: 'check-image',
  summary: 'check an image in a registry against the image minimums',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('check-image', args, {
      minimums: { type: 'string' },
      platform: { type: 'string' },
      format: { type: 'string' },
      insecure: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError(`check-image: name exactly one image reference\nRun 'build-image check-image --help' for usage.`);
    const profile = oneOf('check-image', 'minimums', values.minimums, MINIMUMS_PROFILES, 'coder');
    const format = oneOf('check-image', 'format', values.format, ['text', 'json'] as const, 'text');
    if (values.platform !== undefined && !/^[a-z0-9]+\/[a-z0-9]+$/.test(values.platform)) throw new UsageError(`check-image: --platform must look like linux/amd64`);
    const ref = parseReference(positionals[0]!);
    const client = createRegistryClient({ env: io.env, insecure: values.insecure ? [ref.registry] : [] });
    const report = await checkImageMinimums(client, { registry: ref.registry, repository: ref.repository }, ref.digest ?? ref.tag ?? 'latest', {
      profile,
      ...(values.platform ? { platform: values.platform } : {}),
    });
    io.out(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatMinimumsReport(report));
    return report.passed ? 0 : 1;
  },
};
