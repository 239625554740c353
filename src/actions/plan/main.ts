// actions/plan: build order, levels and a strategy.matrix; the graph in the job summary.
import * as core from '@actions/core';
import { writeSummary } from '../../github/summary.js';
import { createPlan, InvalidTemplatesError } from '../../plan/index.js';
import { planMatrices, planSummaryMarkdown, planToJson } from '../../plan/format.js';
import { annotationPrefix, keyValueInput, listInput, registryInput, templatesDir } from '../../github/inputs.js';
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
    conventionRegistry: registryInput('convention-registry'),
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
    const prefix = annotationPrefix(plan.root);
    const matrices = planMatrices(plan, prefix);
    if (matrices.warning) core.warning(matrices.warning);
    core.setOutput('order', JSON.stringify(plan.order));
    core.setOutput('levels', JSON.stringify(plan.levels));
    core.setOutput('matrix', JSON.stringify(matrices.matrix));
    core.setOutput('layers', JSON.stringify(matrices.layers));
    core.setOutput('has-images', plan.order.length > 0);
    core.setOutput('plan', JSON.stringify(planToJson(plan)));
    core.setOutput('empty', plan.order.length === 0);
    writeSummary(planSummaryMarkdown(plan, prefix));
  });
}
