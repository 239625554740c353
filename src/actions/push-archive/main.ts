// actions/push-archive: push a docker-archive or OCI layout built elsewhere (P4).
import * as core from '@actions/core';
import { writeSummary } from '../../github/summary.js';
import { foreignOutput } from '../../github/foreign.js';
import { resolve } from 'node:path';
import { runAction } from '../../github/run.js';
import { credentialsInput, listInput, workspace } from '../../github/inputs.js';
import { pushArchive } from '../../images/archive.js';
import { parseReference } from '../../systems/registry/reference.js';
import { createRegistryClient } from '../../systems/registry/setup.js';
import { UserError } from '../../lib/errors.js';

function getInputs() {
  const credentials = credentialsInput();
  const image = parseReference(core.getInput('image', { required: true }));
  if (image.digest) throw new UserError("input 'image' must name a tag, not a digest");
  return {
    archive: resolve(workspace(), core.getInput('archive', { required: true })),
    image,
    credentials,
    insecureRegistries: listInput('insecure-registries'),
  };
}

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    const client = createRegistryClient({ named: inputs.credentials, insecure: inputs.insecureRegistries });
    const tag = inputs.image.tag ?? 'latest';
    // Names read from the archive: one window where workflow commands are not obeyed, for all lines.
    const foreign = foreignOutput();
    let result;
    try {
      result = await pushArchive(client, inputs.archive, { registry: inputs.image.registry, repository: inputs.image.repository, tag }, { log: (l) => foreign.print(l) });
    } finally {
      foreign.resume();
    }
    const reference = `${inputs.image.registry}/${inputs.image.repository}:${tag}@${result.digest}`;
    core.setOutput('digest', result.digest);
    core.setOutput('reference', reference);
    writeSummary(`## Archive pushed\n\n\`${reference}\` (${result.format}): ${result.blobs.uploaded} blobs uploaded, ${result.blobs.exists} already there.\n`);
  });
}
