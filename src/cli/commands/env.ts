import { resolve } from 'node:path';
import { credentialsFrom, insecureRegistriesFrom, oneOf, parseCommandArgs, type Command } from '../command.js';
import { BUILDER_KINDS, createBuilder } from '../../pipeline/builders.js';
import { reportInvalidTemplates } from '../invalid-templates.js';
import { abortOnSignals } from '../../lib/signals.js';
import { OPERATIONS, runEnvironment } from '../../environments/run.js';
import { secretValuesFromRepo } from '../../environments/secrets.js';
import { resolveRoot } from '../../templates/load.js';
import { UsageError } from '../../lib/errors.js';
import { identityTexts } from '../../secrets/keys.js';

const help = `Usage: build-image env build|up|status|down NAME [DIR] [options]

Development environments from .coder/environments/NAME.yaml under DIR (default: the current
directory).

  build    Build the personalised image: the primary container's image (a template of this
           repository, or of 'github: owner/repo' at 'tag', or a devcontainer.json), the
           platform's assets copied to /tmp/coder, and the 'personalize' steps, one layer
           each. Pushed as <registry>/.../env-NAME:build-<ID>, where the build ID hashes the
           parent digest, the assets and the steps: the same inputs reuse the image.
  up       build, then create or update the Deployment (one replica: the primary container
           and its sidecars), its Secrets and volumes, and wait until it is rolled out.
           An unchanged environment changes nothing ("NAME is up to date").
  status   The rollout verdict and a table per container.
  down     Delete the Deployment and its Secrets; volumes stay unless --delete-volumes.

Options:
  --builder buildah|kaniko    How to build the personalised image (default buildah).
  --registry R                Registry the templates' images were pushed to and the
                              personalised image goes to (as 'build --registry').
  --insecure                  The --registry speaks plain HTTP or has a self-signed
                              certificate.
  --assets DIR                The platform's assets, copied into the image at /tmp/coder.
  --assets-image IMAGE        ...or an image whose files are copied there instead.
  --image-repository REPO     Push the personalised image here (default: beside its parent,
                              named env-NAME).
  --github-server-url URL     Where 'github: owner/repo' is fetched from (default
                              $GITHUB_SERVER_URL or https://github.com; token: $GITHUB_TOKEN).
  --credentials FILE          Named registry credentials (as for 'build').
  --identity FILE             age key file that decrypts .coder/secrets/ (default
                              $SOPS_AGE_KEY, the file $SOPS_AGE_KEY_FILE, else
                              ~/.config/sops/age/keys.txt, as the secret commands).
  --namespace NS              Kubernetes namespace (default: the current context's).
  --kubeconfig PATH           kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).
  --timeout SECONDS           How long 'up' waits for the rollout (default 600).
  --min-ready SECONDS         How long the pod must stay ready to count as up (default 3;
                              a container that dies sooner fails the rollout).
  --delete-volumes            down: delete the environment's volumes too.
  --dry-run                   build/up: print the personalised Dockerfile, the Secrets
                              (values redacted) and the Deployment; change nothing.
  --format text|json          Output format (default text).
  -h, --help                  Show this help.

Exit code 0 when the operation succeeded (for up and status: the environment is ready),
1 when it failed (the reason, a table per container and the last log lines are printed),
2 for bad usage.
`;

export const envCommand: Command = {
  name: 'env',
  summary: 'build, deploy, inspect and delete development environments (build|up|status|down)',
  help,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('env', args, {
      builder: { type: 'string' },
      registry: { type: 'string' },
      insecure: { type: 'boolean' },
      assets: { type: 'string' },
      'assets-image': { type: 'string' },
      'image-repository': { type: 'string' },
      'github-server-url': { type: 'string' },
      credentials: { type: 'string' },
      identity: { type: 'string' },
      namespace: { type: 'string' },
      kubeconfig: { type: 'string' },
      timeout: { type: 'string' },
      'min-ready': { type: 'string' },
      'delete-volumes': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      format: { type: 'string' },
    });
    const [operationArg, name, dirArg = '.', ...extra] = positionals;
    if (operationArg === undefined) throw new UsageError(`env: name an operation (${OPERATIONS.join(', ')})\nRun 'build-image env --help' for usage.`);
    if (!(OPERATIONS as readonly string[]).includes(operationArg)) throw new UsageError(`env: unknown operation '${operationArg}'; use one of ${OPERATIONS.join(', ')}`);
    const operation = operationArg as (typeof OPERATIONS)[number];
    if (name === undefined) throw new UsageError(`env ${operation}: name the environment (a file in .coder/environments/)`);
    if (extra.length > 0) throw new UsageError(`env ${operation}: unexpected arguments: ${extra.join(' ')}`);
    const kind = oneOf('env', 'builder', values.builder, BUILDER_KINDS, 'buildah');
    const format = oneOf('env', 'format', values.format, ['text', 'json'] as const, 'text');
    if (values['delete-volumes'] && operation !== 'down') throw new UsageError('env: --delete-volumes applies to down');
    let timeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const seconds = Number(values.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`env: --timeout must be a number of seconds, not '${values.timeout}'`);
      timeoutMs = seconds * 1000;
    }
    let minReadySeconds: number | undefined;
    if (values['min-ready'] !== undefined) {
      minReadySeconds = Number(values['min-ready']);
      if (!Number.isInteger(minReadySeconds) || minReadySeconds < 0) throw new UsageError(`env: --min-ready must be a whole number of seconds, not '${values['min-ready']}'`);
    }
    const registry = values.registry;
    const insecureRegistries = insecureRegistriesFrom('env', values);
    const credentials = credentialsFrom('env', values.credentials, io);
    // The same sources as the secret commands: --identity FILE, else $SOPS_AGE_KEY, $SOPS_AGE_KEY_FILE, the sops key file.
    const identity = identityTexts({ ...(values.identity ? { identityFile: resolve(io.cwd, values.identity) } : {}), env: io.env })
      .map((t) => t.text)
      .join('\n');
    const kubeconfig = values.kubeconfig ? resolve(io.cwd, values.kubeconfig) : undefined;
    const cancellation = abortOnSignals(() => io.err(`env ${operation}: cancelling\n`));
    try {
      const result = await runEnvironment({
        operation,
        dir: resolve(io.cwd, dirArg),
        name,
        ...(registry ? { registry } : {}),
        insecureRegistries,
        credentials,
        builder: () => createBuilder(kind, { credentials, ...(values.namespace ? { namespace: values.namespace } : {}), ...(kubeconfig ? { kubeconfig } : {}) }),
        ...(values.namespace ? { namespace: values.namespace } : {}),
        ...(kubeconfig ? { kubeconfig } : {}),
        ...(values.assets || values['assets-image'] ? { assets: { ...(values.assets ? { folder: resolve(io.cwd, values.assets) } : {}), ...(values['assets-image'] ? { image: values['assets-image'] } : {}) } } : {}),
        githubServerUrl: values['github-server-url'] ?? io.env.GITHUB_SERVER_URL ?? 'https://github.com',
        ...(io.env.GITHUB_TOKEN ? { githubToken: io.env.GITHUB_TOKEN } : {}),
        ...(values['image-repository'] ? { imageRepository: values['image-repository'] } : {}),
        ...(identity ? { secrets: secretValuesFromRepo(resolveRoot(resolve(io.cwd, dirArg)), identity) } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
        ...(minReadySeconds !== undefined ? { minReadySeconds } : {}),
        ...(values['delete-volumes'] ? { deleteVolumes: true } : {}),
        dryRun: values['dry-run'] === true,
        log: (line) => io.err(`${name} | ${line}\n`),
        signal: cancellation.signal,
      });
      if (format === 'json') {
        io.out(
          JSON.stringify(
            {
              ok: result.ok,
              ...(result.image ? { image: result.image.reference, buildId: result.image.buildId, ...('digest' in result.image ? { digest: result.image.digest, reused: result.image.reused } : {}) } : {}),
              ...(result.up ? { change: result.up.change } : {}),
              ...(result.status ? { status: result.status } : {}),
              ...(result.down ? { down: result.down } : {}),
            },
            null,
            2,
          ) + '\n',
        );
      } else io.out(result.text);
      return result.ok ? 0 : 1;
    } catch (err) {
      return reportInvalidTemplates('env', err, io);
    } finally {
      cancellation.dispose();
    }
  },
};
