// actions/smoke-test: the templates' smoke commands against the test images (P1).
import * as core from '@actions/core';
import { writeSummary } from '../../github/summary.js';
import { runAction } from '../../github/run.js';
import { builtInput, credentialsInput, keyValueInput, listInput, registryInput, templatesDir } from '../../github/inputs.js';
import { createPlan } from '../../plan/index.js';
import { BUILDER_KINDS, createBuilder, type BuilderKind } from '../../pipeline/builders.js';
import { smokeSummaryMarkdown, smokeTestImages } from '../../pipeline/smoke.js';
import { createRegistryClient } from '../../systems/registry/setup.js';
import { foreignOutput } from '../../github/foreign.js';
import { UserError } from '../../lib/errors.js';
import { abortOnSignals } from '../../lib/signals.js';

/** `{name: {reference}}` from build-image's `images` output. */
/** Image name -> the exact reference the build pushed, from the `built` input. */
function builtReferences(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, entry] of Object.entries(builtInput() ?? {})) if (typeof entry.reference === 'string') out[name] = entry.reference;
  return out;
}

function getInputs() {
  const credentials = credentialsInput();
  const builder = core.getInput('builder') || 'kaniko';
  if (!(BUILDER_KINDS as readonly string[]).includes(builder)) throw new UserError(`input 'builder' must be kaniko or buildah, not '${builder}'`);
  return {
    templates: templatesDir(),
    names: listInput('images').filter((n) => n !== 'all'),
    built: builtReferences(),
    registry: registryInput('registry'),
    builder: builder as BuilderKind,
    namespace: core.getInput('namespace') || undefined,
    credentials,
    insecureRegistries: listInput('insecure-registries'),
    buildArgs: keyValueInput('build-args'),
  };
}

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    const plan = await createPlan(inputs.templates, {
      buildArgs: inputs.buildArgs,
      buildsNothing: true, // tests what was built: no hashing, no `git ls-remote` of template sources
      ...(inputs.names.length ? { names: inputs.names } : {}),
      ...(inputs.registry ? { conventionRegistry: inputs.registry } : {}),
    });
    const names = inputs.names.length ? inputs.names : Object.keys(plan.images);
    // Images the build skipped or that failed have no reference in `built`; with `built` given, test only what it lists.
    const chosen = names.map((n) => plan.images[n]!).filter((image) => image.smoke.length > 0 && (Object.keys(inputs.built).length === 0 || inputs.built[image.name] !== undefined));
    if (chosen.length === 0) {
      core.info('no image to test: none of the chosen images declares smoke tests');
      core.setOutput('passed', true);
      core.setOutput('results', '{}');
      return;
    }
    const builder = await createBuilder(inputs.builder, { credentials: { named: inputs.credentials }, ...(inputs.namespace ? { namespace: inputs.namespace } : {}) });
    const cancellation = abortOnSignals();
    const foreign = foreignOutput();
    let reports;
    try {
      reports = await smokeTestImages({
        images: chosen,
        builder,
        client: createRegistryClient({ insecure: inputs.insecureRegistries, named: inputs.credentials }),
        ...(inputs.registry ? { registry: inputs.registry } : {}),
        references: inputs.built,
        insecureRegistries: inputs.insecureRegistries,
        signal: cancellation.signal,
        onStart: (name) => foreign.ours(() => core.startGroup(`${name}: smoke tests`)),
        log: (_name, line) => foreign.print(line),
        onDone: (report) => {
          foreign.ours(() => core.endGroup());
          foreign.print(`${report.name}: ${report.status}${report.error ? ` (${report.error})` : ''}`);
          foreign.resume();
          if (report.status === 'failed' || report.status === 'error') core.error(`${report.name}: smoke tests ${report.status}${report.error ? `: ${report.error}` : ''}`);
        },
      });
    } finally {
      foreign.resume();
      cancellation.dispose();
      await builder.cleanup();
    }
    const output = Object.fromEntries(reports.map((r) => [r.name, { status: r.status, reference: r.reference ?? null, results: r.results, ...(r.error ? { error: r.error } : {}) }]));
    const passed = reports.every((r) => r.status === 'passed' || r.status === 'none');
    core.setOutput('results', JSON.stringify(output));
    core.setOutput('passed', passed);
    writeSummary(smokeSummaryMarkdown(reports));
    if (!passed)
      throw new UserError(
        `smoke tests failed for ${reports
          .filter((r) => r.status === 'failed' || r.status === 'error')
          .map((r) => r.name)
          .join(', ')}`,
      );
  });
}
