import { resolve } from 'node:path';
import { credentialsFrom, insecureRegistriesFrom, oneOf, parseBuildArgs, parseCommandArgs, positiveInteger, workingTreeOrigin, type CliIO, type Command } from '../command.js';
import { runNightly, nightlyJson, nightlyText } from '../../nightly/nightly.js';
import { imagesOutput } from '../../pipeline/report.js';
import { BUILDER_KINDS, createBuilder, type BuilderSettings } from '../../pipeline/builders.js';
import { reportInvalidTemplates } from '../invalid-templates.js';
import { runOrigin } from '../../github/context.js';
import { writeStepOutputs } from '../../github/outputs.js';
import { abortOnSignals } from '../../lib/signals.js';
import { UsageError } from '../../lib/errors.js';
import type { BuildOrigin } from '../../pipeline/tags.js';

const help = `Usage: build-image nightly [DIR] [options]

Rebuilds the images under DIR (default: the current directory) whose world moved since
they were last built, and nothing else:
  - an outside base image (FROM ubuntu:24.04) now points at another digest;
  - a linked source repository (spec.sources) or the build context's repository
    (spec.source) has new commits on its ref (git ls-remote);
  - a parent template is rebuilt tonight, or is no longer the digest the image was built on;
  - the image was never built, or its template changed without a build since.
What an image was built on is read from the labels of its 'test' image. When nothing moved,
nothing is built or pushed and no tag moves; the report says why, per image.

Options:
  --force                     Rebuild every image, reusing nothing.
  --check                     Decide and report only; build nothing.
  --builder buildah|kaniko    Build locally with buildah (default) or in kaniko pods.
  --registry R                The registry the images are pushed to (as for build).
  --insecure                  The --registry speaks plain HTTP or has a self-signed
                              certificate.
  --max-parallel N            Builds at the same time (default 4).
  --build-arg NAME=VALUE      As for build; give the same ones the builds use.
  --credentials FILE          Named registry credentials (as for build).
  --convention-registry R     Repository prefix for images/<name>/Dockerfile images.
  --skip-smoke                Do not run the smoke tests of rebuilt images.
  --format text|json          Report format (default text).
  --namespace NS              kaniko: namespace for build pods.
  --kubeconfig PATH           kaniko: kubeconfig.
  --executor-image IMAGE      kaniko: executor image to use.
  -h, --help                  Show this help.

Under GitHub Actions ($GITHUB_OUTPUT set) it also writes the step outputs 'changed'
(true/false), 'reasons' (JSON: image -> reasons) and 'images' (the build's images output,
for the promote action; {} when nothing was built).
Exit code 0 when every rebuild succeeded (or nothing was due), 1 otherwise.
`;

/** Under Actions, the run's commit and branch; on a laptop, the working tree's. */
async function localOrigin(dir: string, io: CliIO): Promise<BuildOrigin> {
  if (io.env.GITHUB_ACTIONS === 'true') return runOrigin(io.env);
  return workingTreeOrigin('nightly', dir, io, 'rebuilt images get');
}

export const nightlyCommand: Command = {
  name: 'nightly',
  summary: 'rebuild only the images whose base digest, source repository or parent moved',
  help,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('nightly', args, {
      force: { type: 'boolean' },
      check: { type: 'boolean' },
      builder: { type: 'string' },
      registry: { type: 'string' },
      insecure: { type: 'boolean' },
      'max-parallel': { type: 'string' },
      'build-arg': { type: 'string', multiple: true },
      credentials: { type: 'string' },
      'convention-registry': { type: 'string' },
      'skip-smoke': { type: 'boolean' },
      format: { type: 'string' },
      namespace: { type: 'string' },
      kubeconfig: { type: 'string' },
      'executor-image': { type: 'string' },
    });
    const kind = oneOf('nightly', 'builder', values.builder, BUILDER_KINDS, 'buildah');
    const format = oneOf('nightly', 'format', values.format, ['text', 'json'] as const, 'text');
    const maxParallel = positiveInteger('nightly', 'max-parallel', values['max-parallel'], 4);
    if (values.force && values.check) throw new UsageError('nightly: --force rebuilds everything; --check builds nothing: give one');
    if (positionals.length > 1) throw new UsageError(`nightly: one directory at most, got ${positionals.join(' ')}`);
    const registry = values.registry;
    const insecureRegistries = insecureRegistriesFrom('nightly', values);
    const dir = resolve(io.cwd, positionals[0] ?? '.');
    const credentials = credentialsFrom('nightly', values.credentials, io);
    const settings: BuilderSettings = {
      credentials,
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(values.kubeconfig ? { kubeconfig: resolve(io.cwd, values.kubeconfig) } : {}),
      ...(values['executor-image'] ? { executorImage: values['executor-image'] } : {}),
    };
    const builder = await createBuilder(kind, settings);
    const cancellation = abortOnSignals(() => io.err('nightly: cancelling: stopping running builds and starting no new ones\n'));
    try {
      const result = await runNightly({
        dir,
        builder,
        origin: await localOrigin(dir, io),
        ...(registry ? { registry } : {}),
        insecureRegistries,
        maxParallel,
        credentials,
        buildArgs: parseBuildArgs('nightly', values['build-arg']),
        ...(values['convention-registry'] ? { conventionRegistry: values['convention-registry'] } : {}),
        smoke: !values['skip-smoke'],
        force: values.force === true,
        checkOnly: values.check === true,
        signal: cancellation.signal,
        onDecided: (images) => {
          for (const image of Object.values(images)) io.err(`${image.name} | ${image.changed ? 'rebuild' : 'unchanged'}: ${image.reasons.join('; ')}\n`);
        },
        log: (name, line) => io.err(`${name || 'nightly'} | ${line}\n`),
        onSettled: (report) => io.err(`${report.name} | ${report.status}${report.reference ? ` ${report.reference}` : ''}${report.reason ? `: ${report.reason}` : ''}\n`),
      });
      writeStepOutputs(io.env, {
        changed: String(result.changed),
        reasons: JSON.stringify(Object.fromEntries(Object.values(result.images).map((i) => [i.name, i.reasons]))),
        images: JSON.stringify(result.pipeline ? imagesOutput(result.pipeline) : {}),
      });
      io.out(format === 'json' ? JSON.stringify(nightlyJson(result), null, 2) + '\n' : nightlyText(result));
      return result.ok ? 0 : 1;
    } catch (err) {
      return reportInvalidTemplates('nightly', err, io);
    } finally {
      cancellation.dispose();
      await builder.cleanup();
    }
  },
};
