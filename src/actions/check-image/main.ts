// actions/check-image: the image minimums (P2), read from the image in the registry.
import * as core from '@actions/core';
import { writeSummary } from '../../github/summary.js';
import { printForeign } from '../../github/foreign.js';
import { runAction } from '../../github/run.js';
import { credentialsInput, listInput } from '../../github/inputs.js';
import { MINIMUMS_PROFILES, checkImageMinimums, formatMinimumsReport, type MinimumsProfile, type MinimumsReport } from '../../images/minimums.js';
import { parseReference } from '../../systems/registry/reference.js';
import { createRegistryClient } from '../../systems/registry/setup.js';
import { UserError } from '../../lib/errors.js';

function getInputs() {
  const credentials = credentialsInput();
  const minimums = core.getInput('minimums') || 'coder';
  if (!(MINIMUMS_PROFILES as readonly string[]).includes(minimums)) throw new UserError(`input 'minimums' must be one of ${MINIMUMS_PROFILES.join(', ')}, not '${minimums}'`);
  const images = listInput('images');
  if (images.length === 0) throw new UserError("input 'images' is empty: name at least one image reference");
  return { images: images.map((text) => parseReference(text)), minimums: minimums as MinimumsProfile, credentials, insecureRegistries: listInput('insecure-registries') };
}

function summary(reports: MinimumsReport[]): string {
  const rows = reports.flatMap((r) => r.rules.map((rule) => `| \`${r.image}\` | ${rule.title} | ${rule.passed ? '✅' : '❌'} | ${rule.detail.replace(/\|/g, '\\|')} |`));
  return ['## Image minimums', '', '| Image | Rule | | Detail |', '|---|---|---|---|', ...rows, ''].join('\n');
}

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    const client = createRegistryClient({ named: inputs.credentials, insecure: inputs.insecureRegistries });
    const reports: MinimumsReport[] = [];
    for (const ref of inputs.images) {
      const report = await checkImageMinimums(client, { registry: ref.registry, repository: ref.repository }, ref.digest ?? ref.tag ?? 'latest', { profile: inputs.minimums });
      printForeign(formatMinimumsReport(report)); // paths and details read from the image
      reports.push(report);
    }
    core.setOutput('report', JSON.stringify(reports));
    core.setOutput('passed', String(reports.every((r) => r.passed)));
    writeSummary(summary(reports));
    const failed = reports.filter((r) => !r.passed);
    if (failed.length) {
      throw new UserError(
        failed
          .map(
            (r) =>
              `${r.image}: not met: ${r.rules
                .filter((x) => !x.passed)
                .map((x) => `${x.title} (${x.detail})`)
                .join('; ')}`,
          )
          .join('\n'),
      );
    }
  });
}
