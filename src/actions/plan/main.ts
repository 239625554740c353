// actions/plan: build order, levels and a strategy.matrix; the graph in the job summary.
import * as core from '@actions/core';
import { createPlan, InvalidTemplatesError } from '../../plan/index.js';
import { planMatrix, planToJson } from '../../plan/format.js';
import { mermaidBlock } from '../../graph/mermaid.js';
import { keyValueInput, listInput, templatesDir } from '../../github/inputs.js';
import { reportInvalidTemplates } from '../../github/annotate.js';
import { runAction } from '../../github/run.js';

interface Inputs {
  dir: string;
  since?: string;
  names: string[];
  buildArgs: Record<string, string>;
  conventionRegistry?: string;
}

function getInputs(): Inputs {
  return {
    dir: templatesDir(),
    since: core.getInput('since') || undefined,
    names: listInput('images').filter((n) => n !== 'all'),
    buildArgs: keyValueInput('build-args'),
    conventionRegistry: core.getInput('convention-registry') || undefined,
  };
}

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    let plan;
    try {
      plan = await createPlan(inputs.dir, inputs);
    } catch (err) {
      if (!(err instanceof InvalidTemplatesError)) throw err;
      throw await reportInvalidTemplates(err, inputs.dir, 'Build plan');
    }
    core.setOutput('order', JSON.stringify(plan.order));
    core.setOutput('levels', JSON.stringify(plan.levels));
    core.setOutput('matrix', JSON.stringify(planMatrix(plan)));
    core.setOutput('plan', JSON.stringify(planToJson(plan)));
    core.setOutput('empty', plan.order.length === 0);
    const rows = plan.order.map((name) => {
      const image = plan.images[name]!;
      return [name, `\`${image.repository}\``, image.parents.join(', ') || '—', image.reasons.join('; ')];
    });
    await core.summary
      .addHeading('Build plan', 2)
      .addRaw(plan.order.length === 0 ? 'Nothing to build.\n\n' : `${plan.order.length} image(s) in ${plan.levels.length} level(s), parents first.\n\n`)
      .addRaw(mermaidBlock(plan))
      .addTable([[{ data: 'Image', header: true }, { data: 'Repository', header: true }, { data: 'Parents', header: true }, { data: 'Why', header: true }], ...rows])
      .write();
  });
}
