// actions/environment: build and deploy an environment on request (E1, E2), its status, or down.
import * as core from '@actions/core';
import { writeSummary } from '../../github/summary.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runAction } from '../../github/run.js';
import { credentialsInput, listInput, workspace } from '../../github/inputs.js';
import { createBuilder, BUILDER_KINDS, type BuilderKind } from '../../pipeline/builders.js';
import { OPERATIONS, runEnvironment, type Operation } from '../../environments/run.js';
import { statusMarkdown } from '../../environments/report.js';
import { fetchRepository } from '../../systems/git/index.js';
import { UserError } from '../../lib/errors.js';
import { secretValuesFromRepo } from '../../environments/secrets.js';

interface Inputs {
  environment: string;
  operation: Operation;
  ref?: string;
  templates: string;
  registry?: string;
  insecureRegistries: string[];
  builder: BuilderKind;
  namespace?: string;
  assets?: string;
  assetsImage?: string;
  ageIdentity?: string;
  deleteVolumes: boolean;
  timeoutMs: number;
  githubToken?: string;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`input '${name}' must be one of ${allowed.join(', ')}, not '${value}'`);
}

function getInputs(): Inputs {
  const environment = core.getInput('environment', { required: true });
  const identity = core.getInput('age-identity');
  if (identity) core.setSecret(identity);
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  const timeout = Number(core.getInput('timeout') || '600');
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UserError(`input 'timeout' must be a number of seconds, not '${core.getInput('timeout')}'`);
  return {
    environment,
    operation: oneOf('operation', core.getInput('operation') || 'up', OPERATIONS),
    ...(core.getInput('ref') ? { ref: core.getInput('ref') } : {}),
    templates: core.getInput('templates') || '.',
    ...(core.getInput('registry') ? { registry: core.getInput('registry') } : {}),
    insecureRegistries: listInput('insecure-registries'),
    builder: oneOf('builder', core.getInput('builder') || 'buildah', BUILDER_KINDS),
    ...(core.getInput('namespace') ? { namespace: core.getInput('namespace') } : {}),
    ...(core.getInput('assets') ? { assets: core.getInput('assets') } : {}),
    ...(core.getInput('assets-image') ? { assetsImage: core.getInput('assets-image') } : {}),
    ...(identity ? { ageIdentity: identity } : {}),
    deleteVolumes: core.getBooleanInput('delete-volumes'),
    timeoutMs: timeout * 1000,
    ...(token ? { githubToken: token } : {}),
  };
}

/** The templates at `ref` of this repository, fetched from the server the run came from; else the workspace. */
async function templatesAt(inputs: Inputs): Promise<{ dir: string; dispose: () => Promise<void> }> {
  if (!inputs.ref) return { dir: resolve(workspace(), inputs.templates), dispose: async () => undefined };
  const repository = process.env.GITHUB_REPOSITORY;
  if (!repository) throw new UserError("input 'ref' needs GITHUB_REPOSITORY (the repository to fetch it from)");
  const checkout = await mkdtemp(join(tmpdir(), 'build-image-ref-'));
  const serverUrl = process.env.GITHUB_SERVER_URL || 'https://github.com';
  core.info(`fetching ${repository} at ${inputs.ref} from ${serverUrl}`);
  const { commit } = await fetchRepository({ serverUrl, repository, ref: inputs.ref, dir: checkout, ...(inputs.githubToken ? { token: inputs.githubToken } : {}) });
  core.info(`templates at ${inputs.ref}: commit ${commit}`);
  return { dir: resolve(checkout, inputs.templates), dispose: () => rm(checkout, { recursive: true, force: true }) };
}

export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    const credentials = { named: credentialsInput() };
    const templates = await templatesAt(inputs);
    try {
      const result = await runEnvironment({
        operation: inputs.operation,
        dir: templates.dir,
        name: inputs.environment,
        ...(inputs.registry ? { registry: inputs.registry } : {}),
        insecureRegistries: inputs.insecureRegistries,
        credentials,
        builder: () => createBuilder(inputs.builder, { credentials, ...(inputs.namespace ? { namespace: inputs.namespace } : {}) }),
        ...(inputs.namespace ? { namespace: inputs.namespace } : {}),
        ...(inputs.assets || inputs.assetsImage ? { assets: { ...(inputs.assets ? { folder: resolve(workspace(), inputs.assets) } : {}), ...(inputs.assetsImage ? { image: inputs.assetsImage } : {}) } } : {}),
        githubServerUrl: process.env.GITHUB_SERVER_URL || 'https://github.com',
        ...(inputs.githubToken ? { githubToken: inputs.githubToken } : {}),
        ...(inputs.ageIdentity ? { secrets: secretValuesFromRepo(templates.dir, inputs.ageIdentity, (value) => core.setSecret(value)) } : {}),
        timeoutMs: inputs.timeoutMs,
        deleteVolumes: inputs.deleteVolumes,
        log: (line) => core.info(line),
      });
      const state = result.status?.state ?? (inputs.operation === 'down' ? 'absent' : 'built');
      core.setOutput('status', state);
      if (result.image) {
        core.setOutput('image', result.image.reference);
        core.setOutput('build-id', result.image.buildId);
        if ('digest' in result.image) core.setOutput('digest', result.image.digest);
      }
      core.info(result.text.trimEnd());
      const summary = result.status ? statusMarkdown(result.status) : `### Environment ${inputs.environment}\n\n${result.text}`;
      writeSummary(summary);
      // `status` reports whatever it finds; `up` fails the step unless the environment is ready.
      if (!result.ok && inputs.operation !== 'status')
        throw new UserError(result.status ? `${inputs.environment}: ${result.status.reason ?? result.status.state}: ${result.status.message}` : `${inputs.environment}: ${inputs.operation} failed`);
    } finally {
      await templates.dispose();
    }
  });
}
