import { resolve } from 'node:path';
import { credentialsFrom, insecureRegistriesFrom, oneOf, parseBuildArgs, parseCommandArgs, positiveInteger, workingTreeOrigin, type Command } from '../command.js';
import { runPipeline } from '../../pipeline/pipeline.js';
import { summaryText, imagesOutput } from '../../pipeline/report.js';
import { runPreview } from '../../pipeline/preview.js';
import { BUILDER_KINDS, createBuilder, createDryRunBuilder, type BuilderSettings } from '../../pipeline/builders.js';
import { reportInvalidTemplates } from '../invalid-templates.js';
import { abortOnSignals } from '../../lib/signals.js';
import { UsageError } from '../../lib/errors.js';
import { imageSelection } from '../../pipeline/selection.js';

const help = `Usage: build-image build [DIR] [IMAGE...] [options]

Builds the images under DIR (default: the current directory) in dependency order, pushes
them, and runs their smoke tests. Each image starts as soon as its parents are built, and is
built against the digest its parent just produced. Images whose inputs were built before
are reused, not rebuilt.

Options:
  --builder buildah|kaniko    Build locally with buildah (default) or in kaniko pods on
                              Kubernetes.
  --registry R                Push here instead of the templates' own registry: a host
                              with an optional path (ghcr.io/acme, 127.0.0.1:5000). The
                              templates' repository paths are placed under it.
  --insecure                  The --registry speaks plain HTTP or has a self-signed
                              certificate.
  --since REV                 Build only images changed since REV, and their descendants.
  --max-parallel N            Builds at the same time (default 4).
  --dry-run                   Print the buildah commands or Kubernetes objects that would
                              be run; run nothing, push nothing.
  --build-arg NAME=VALUE      Override a parameter or ARG default in every image that
                              declares it (repeatable).
  --credentials FILE          Named registry credentials: a 'NAME:' line, then indented
                              'registry: HOST', 'username: USER', 'password: SECRET' (or
                              'token: SECRET') lines, each value everything after ': '; or
                              JSON. Logins in the docker config ($DOCKER_CONFIG/config.json)
                              are used as well.
  --convention-registry R     Repository prefix for images/<name>/Dockerfile images
                              (default: --registry).
  --skip-smoke                Do not run the smoke tests.
  --preview                   Build one IMAGE from the working tree as it is (uncommitted
                              edits included) and push it as <repository>:preview-<hash>,
                              the sha256 of a deterministic tar of its context, Dockerfile
                              and settings. When that tag exists, nothing is built. Parents
                              are used at their 'test' digests. Prints the reference.
  --format text|json          Final report format (default text; json is the action's
                              'images' output).
  --namespace NS              kaniko: namespace for build pods (default: the current one).
  --kubeconfig PATH           kaniko: kubeconfig (default: in-cluster, then $KUBECONFIG).
  --executor-image IMAGE      kaniko: executor image to use.
  -h, --help                  Show this help.

IMAGE names build those images (their parents are reused, or built when missing).
Build logs go to stderr, one line per output line prefixed with the image name; the report
goes to stdout. Exit code 0 when every image was built or reused, 1 otherwise.
`;

export const buildCommand: Command = {
  name: 'build',
  summary: 'build, push and smoke-test images in dependency order (buildah or kaniko)',
  help,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('build', args, {
      builder: { type: 'string' },
      registry: { type: 'string' },
      insecure: { type: 'boolean' },
      since: { type: 'string' },
      'max-parallel': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'build-arg': { type: 'string', multiple: true },
      credentials: { type: 'string' },
      'convention-registry': { type: 'string' },
      'skip-smoke': { type: 'boolean' },
      preview: { type: 'boolean' },
      format: { type: 'string' },
      namespace: { type: 'string' },
      kubeconfig: { type: 'string' },
      'executor-image': { type: 'string' },
    });
    const kind = oneOf('build', 'builder', values.builder, BUILDER_KINDS, 'buildah');
    const format = oneOf('build', 'format', values.format, ['text', 'json'] as const, 'text');
    const maxParallel = positiveInteger('build', 'max-parallel', values['max-parallel'], 4);
    const registry = values.registry;
    const insecureRegistries = insecureRegistriesFrom('build', values);
    const [dirArg = '.', ...names] = positionals;
    const dir = resolve(io.cwd, dirArg);
    if (names.length > 0 && values.since !== undefined) throw new UsageError('build: give image names or --since, not both');
    const selection = imageSelection(names, values.since, 'build');

    if (values.preview) {
      if (names.length !== 1) throw new UsageError('build: --preview builds one image: name it (build-image build DIR IMAGE --preview)');
      if (values.since !== undefined || values['dry-run']) throw new UsageError('build: --preview takes no --since or --dry-run');
    }
    const credentials = credentialsFrom('build', values.credentials, io);
    const settings: BuilderSettings = {
      credentials,
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(values.kubeconfig ? { kubeconfig: resolve(io.cwd, values.kubeconfig) } : {}),
      ...(values['executor-image'] ? { executorImage: values['executor-image'] } : {}),
    };
    const dryRun = values['dry-run'] === true;
    const builder = dryRun ? await createDryRunBuilder(kind, (text) => io.out(text), settings) : await createBuilder(kind, settings);
    const cancellation = abortOnSignals(() => io.err('build: cancelling: stopping running builds and starting no new ones\n'));
    try {
      if (values.preview) {
        const preview = await runPreview({
          dir,
          name: names[0]!,
          builder,
          ...(registry ? { registry } : {}),
          insecureRegistries,
          credentials,
          buildArgs: parseBuildArgs('build', values['build-arg']),
          ...(values['convention-registry'] ? { conventionRegistry: values['convention-registry'] } : {}),
          created: new Date().toISOString(),
          signal: cancellation.signal,
          log: (line) => io.err(`${names[0]} | ${line}\n`),
        });
        io.out(format === 'json' ? JSON.stringify(preview, null, 2) + '\n' : `${preview.reference}\n`);
        return 0;
      }
      const origin = await workingTreeOrigin('build', dir, io);
      const result = await runPipeline({
        dir,
        selection,
        builder,
        origin,
        ...(registry ? { registry } : {}),
        insecureRegistries,
        maxParallel: dryRun ? 1 : maxParallel,
        credentials,
        buildArgs: parseBuildArgs('build', values['build-arg']),
        ...(values['convention-registry'] ? { conventionRegistry: values['convention-registry'] } : {}),
        smoke: !values['skip-smoke'],
        registryLookups: !dryRun,
        signal: cancellation.signal,
        onPlan: (_plan, requested) => {
          if (requested.length === 0) io.err('build: nothing to build (no image changed)\n');
          else if (dryRun) io.out(`# dry run: nothing is built or pushed; digests are placeholders\n# order: ${requested.join(', ')}\n\n`);
        },
        log: (name, line) => {
          if (!dryRun) io.err(`${name || 'build'} | ${line}\n`);
        },
        onSettled: (report) => {
          if (!dryRun) io.err(`${report.name} | ${report.status}${report.reference ? ` ${report.reference}` : ''}${report.reason ? `: ${report.reason}` : ''}\n`);
        },
      });
      if (dryRun) return 0;
      io.out(format === 'json' ? JSON.stringify(imagesOutput(result), null, 2) + '\n' : summaryText(result));
      return result.ok ? 0 : 1;
    } catch (err) {
      return reportInvalidTemplates('build', err, io);
    } finally {
      cancellation.dispose();
      await builder.cleanup();
    }
  },
};
