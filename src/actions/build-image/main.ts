// coder/build-image@v1: validate, plan, build in graph order, push, smoke-test.
import * as core from '@actions/core';
import { writeSummary } from '../../github/summary.js';
import { runAction } from '../../github/run.js';
import { credentialsInput, keyValueInput, listInput, registryInput, templatesDir } from '../../github/inputs.js';
import { runPipeline, type ImageSelection } from '../../pipeline/pipeline.js';
import { imagesOutput, summaryMarkdown } from '../../pipeline/report.js';
import { BUILDER_KINDS, createBuilder, type BuilderKind } from '../../pipeline/builders.js';
import { imageSelection } from '../../pipeline/selection.js';
import { InvalidTemplatesError } from '../../plan/index.js';
import { reportInvalidTemplates } from '../../github/annotate.js';
import { type NamedCredential } from '../../systems/registry/credentials.js';
import { UserError } from '../../lib/errors.js';
import { defaultSince, runId, runOrigin } from '../../github/context.js';
import { State } from './state.js';
import { abortOnSignals } from '../../lib/signals.js';
import { foreignOutput } from '../../github/foreign.js';
import { groupedLogs } from '../../github/logs.js';

interface Inputs {
  templates: string;
  registry?: string;
  builder: BuilderKind;
  selection: ImageSelection;
  namespace?: string;
  maxParallel: number;
  credentials: NamedCredential[];
  executorImage?: string;
  insecureRegistries: string[];
  buildArgs: Record<string, string>;
}

function getInputs(): Inputs {
  // Parse (and mask) credentials before anything else can log them.
  const credentials = credentialsInput();

  const builder = core.getInput('builder') || 'kaniko';
  if (!(BUILDER_KINDS as readonly string[]).includes(builder)) throw new UserError(`input 'builder' must be kaniko or buildah, not '${builder}'`);
  const maxParallel = Number(core.getInput('max-parallel') || '4');
  if (!Number.isInteger(maxParallel) || maxParallel < 1) throw new UserError(`input 'max-parallel' must be a whole number of at least 1, not '${core.getInput('max-parallel')}'`);

  const selection = imageSelection(listInput('images'), core.getInput('since') || defaultSince(), "input 'images'");
  return {
    templates: templatesDir(),
    registry: registryInput('registry'),
    builder: builder as BuilderKind,
    selection,
    namespace: core.getInput('namespace') || undefined,
    maxParallel,
    credentials,
    executorImage: core.getInput('executor-image') || undefined,
    insecureRegistries: listInput('insecure-registries'),
    buildArgs: keyValueInput('build-args'),
  };
}

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    const id = runId();
    core.saveState(State.builder, inputs.builder);
    if (inputs.namespace) core.saveState(State.namespace, inputs.namespace);
    const builder = await createBuilder(inputs.builder, {
      credentials: { named: inputs.credentials },
      runId: id,
      // The post step cleans up by run id; without one (nothing was built) it has nothing to do.
      onFirstUse: () => core.saveState(State.runId, id),
      ...(inputs.namespace ? { namespace: inputs.namespace } : {}),
      ...(inputs.executorImage ? { executorImage: inputs.executorImage } : {}),
    });
    const cancellation = abortOnSignals(() => core.warning('cancelled: stopping running builds and starting no new ones'));
    const foreign = foreignOutput();
    const logs = groupedLogs(inputs.maxParallel === 1, foreign);
    let result;
    try {
      result = await runPipeline({
        dir: inputs.templates,
        selection: inputs.selection,
        builder,
        origin: runOrigin(),
        ...(inputs.registry ? { registry: inputs.registry } : {}),
        insecureRegistries: inputs.insecureRegistries,
        maxParallel: inputs.maxParallel,
        credentials: { named: inputs.credentials },
        buildArgs: inputs.buildArgs,
        signal: cancellation.signal,
        onPlan: (_plan, requested) => foreign.ours(() => core.info(requested.length ? `building ${requested.join(', ')} (parents first, up to ${inputs.maxParallel} at a time)` : 'nothing to build: no image changed')),
        ...logs,
      });
    } catch (err) {
      if (!(err instanceof InvalidTemplatesError)) throw err;
      throw await reportInvalidTemplates(err, inputs.templates, 'build-image');
    } finally {
      foreign.resume();
      cancellation.dispose();
      await builder.cleanup();
    }
    core.setOutput('images', JSON.stringify(imagesOutput(result)));
    writeSummary(summaryMarkdown(result));
    if (!result.ok) {
      const bad = Object.values(result.images).filter((r) => r.status !== 'built' && r.status !== 'reused');
      throw new UserError(`${bad.length} image(s) did not build: ${bad.map((r) => `${r.name} (${r.status})`).join(', ')}`);
    }
  });
}
