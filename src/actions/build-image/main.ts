// coder/build-image@v1: validate, plan, build in graph order, push, smoke-test.
import * as core from '@actions/core';
import { runAction } from '../../github/run.js';
import { credentialsInput, keyValueInput, listInput, templatesDir } from '../../github/inputs.js';
import { imagesOutput, runPipeline, summaryMarkdown, type ImageReport, type ImageSelection } from '../../pipeline/pipeline.js';
import { BUILDER_KINDS, createBuilder, type BuilderKind } from '../../pipeline/builders.js';
import { InvalidTemplatesError } from '../../plan/index.js';
import { reportInvalidTemplates } from '../../github/annotate.js';
import { type NamedCredential } from '../../systems/registry/credentials.js';
import { UserError } from '../../lib/errors.js';
import { defaultSince, runId, runOrigin } from '../../github/context.js';
import { State } from './state.js';
import { abortOnSignals } from '../../lib/signals.js';

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

  const images = listInput('images');
  let selection: ImageSelection;
  if (images.length === 0 || (images.length === 1 && images[0] === 'changed')) {
    const since = core.getInput('since') || defaultSince();
    selection = since ? { kind: 'changed', since } : { kind: 'all' };
  } else if (images.length === 1 && images[0] === 'all') {
    selection = { kind: 'all' };
  } else {
    if (images.includes('all') || images.includes('changed')) throw new UserError(`input 'images': 'all' and 'changed' cannot be mixed with image names`);
    selection = { kind: 'names', names: images };
  }
  return {
    templates: templatesDir(),
    registry: core.getInput('registry') || undefined,
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

/**
 * Log groups per image. Groups cannot interleave or nest. With one build at a time, each
 * image's build streams live in its group; its smoke tests run beside the next build, so
 * their lines are kept and shown, after the outcome line, as a group of their own once the
 * outcome is known (after the build group open then). With several builds at a time, a start line is printed
 * live and the image's whole log follows as one group when its outcome is known.
 */
function groupedLogs(live: boolean) {
  const buffered = new Map<string, string[]>();
  let streaming: string | undefined; // the image whose build group is open (live mode)
  const waiting: ImageReport[] = []; // outcomes that came while a build group was open
  const show = (report: ImageReport): void => {
    const title = `${report.name}: ${report.status}${report.reference ? ` ${report.reference}` : ''}${report.reason ? ` (${report.reason})` : ''}`;
    const lines = buffered.get(report.name) ?? [];
    buffered.delete(report.name);
    // Live, the build was streamed already: the outcome, then what came after (smoke tests).
    if (live) core.info(title);
    if (lines.length > 0) {
      core.startGroup(live ? `${report.name}: smoke tests` : title);
      for (const line of lines) core.info(line);
      core.endGroup();
    } else if (!live) core.info(title);
    if (report.status === 'failed') core.error(`${report.name}: ${report.reason ?? 'failed'}`, { title: `build-image: ${report.name}` });
  };
  const closeStream = (): void => {
    core.endGroup();
    streaming = undefined;
    for (const report of waiting.splice(0)) show(report);
  };
  return {
    onStart(name: string): void {
      if (live && streaming === undefined) {
        core.startGroup(`${name}: building`);
        streaming = name;
      } else core.info(`▶ ${name}: started`);
    },
    log(name: string, line: string): void {
      if (name === '' || name === streaming) core.info(line);
      else (buffered.get(name) ?? buffered.set(name, []).get(name)!).push(line);
    },
    onBuilt(name: string): void {
      if (name === streaming) closeStream();
    },
    onSettled(report: ImageReport): void {
      if (report.name === streaming) closeStream(); // its build failed or was cancelled
      if (streaming !== undefined) waiting.push(report);
      else show(report);
    },
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
    const logs = groupedLogs(inputs.maxParallel === 1);
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
        onPlan: (_plan, requested) => core.info(requested.length ? `building ${requested.join(', ')} (parents first, up to ${inputs.maxParallel} at a time)` : 'nothing to build: no image changed'),
        ...logs,
      });
    } catch (err) {
      if (!(err instanceof InvalidTemplatesError)) throw err;
      throw await reportInvalidTemplates(err, inputs.templates, 'build-image');
    } finally {
      cancellation.dispose();
      await builder.cleanup();
    }
    core.setOutput('images', JSON.stringify(imagesOutput(result)));
    await core.summary.addRaw(summaryMarkdown(result)).write();
    if (!result.ok) {
      const bad = Object.values(result.images).filter((r) => r.status !== 'built' && r.status !== 'reused');
      throw new UserError(`${bad.length} image(s) did not build: ${bad.map((r) => `${r.name} (${r.status})`).join(', ')}`);
    }
  });
}
