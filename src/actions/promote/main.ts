// actions/promote: move target tags to the tested digests, all or nothing (P3).
import * as core from '@actions/core';
import { writeSummary } from '../../github/summary.js';
import { runAction } from '../../github/run.js';
import { builtInput, credentialsInput, listInput } from '../../github/inputs.js';
import { promote, promotionSummaryMarkdown, requestsFromBuild, requestsFromReferences, type BuiltImage, type NotPromoted, type PromotionRequest } from '../../promote/promote.js';
import { type NamedCredential } from '../../systems/registry/credentials.js';
import { parseDigest } from '../../systems/registry/reference.js';
import { createRegistryClient } from '../../systems/registry/setup.js';
import { UserError } from '../../lib/errors.js';

interface Inputs {
  /** The build-image action's `images` output, when promoting what a build tested. */
  built?: Record<string, BuiltImage>;
  images: string[];
  from?: string;
  digest?: string;
  to: string[];
  credentials: NamedCredential[];
  insecureRegistries: string[];
}

function getInputs(): Inputs {
  const credentials = credentialsInput();
  const digest = core.getInput('digest');
  const built = builtInput() as Record<string, BuiltImage> | undefined;
  return {
    ...(built ? { built } : {}),
    images: listInput('images'),
    from: core.getInput('from') || undefined,
    digest: digest ? parseDigest(digest, "input 'digest'") : undefined,
    to: listInput('to'),
    credentials,
    insecureRegistries: listInput('insecure-registries'),
  };
}

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    let requests: PromotionRequest[];
    let notPromoted: NotPromoted[] = [];
    if (inputs.built) {
      if (inputs.images.length > 0) throw new UserError("give either 'built' or 'images', not both");
      const fromBuild = requestsFromBuild(inputs.built);
      for (const n of fromBuild.notPromoted) core.warning(`${n.name}: not promoted (${n.reason})`);
      notPromoted = fromBuild.notPromoted;
      requests = fromBuild.requests;
      if (requests.length === 0) {
        core.info('nothing to promote: no image in the build output passed its tests');
        writeSummary(promotionSummaryMarkdown(undefined, notPromoted));
        return;
      }
    } else requests = requestsFromReferences(inputs.images, inputs, { source: "input 'images'", fromOrDigest: "set 'from' or 'digest'" });
    const client = createRegistryClient({ named: inputs.credentials, insecure: inputs.insecureRegistries });
    const report = await promote(client, requests, {
      rollbackFlags: inputs.insecureRegistries.length ? ['--insecure'] : [],
      log: (line) => core.info(line),
    });
    const previous: Record<string, string | null> = {};
    for (const p of report.promoted) for (const t of p.targets) previous[t.reference] = t.previousDigest;
    core.setOutput('result', JSON.stringify(report));
    core.setOutput('previous-digests', JSON.stringify(previous));
    core.setOutput('rollback', report.rollback.join('\n'));
    writeSummary(promotionSummaryMarkdown(report, notPromoted));
    if (report.rollback.length) core.info(`To roll back:\n${report.rollback.join('\n')}`);
  });
}
