// actions/plan: build order, levels and a strategy.matrix; the graph in the job summary.
import * as core from '@actions/core';
import { createPlan, InvalidTemplatesError } from '../../plan/index.js';
import { planMatrix, planToJson } from '../../plan/format.js';
import { mermaidBlock } from '../../graph/mermaid.js';
import { problemsTable } from '../../templates/problems.js';
import { annotationPrefix, keyValueInput, listInput, templatesDir } from '../inputs.js';
import { runAction } from '../runner.js';

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

void runAction(async () => {
  const inputs = getInputs();
  let plan;
  try {
    plan = await createPlan(inputs.dir, inputs);
  } catch (err) {
    if (!(err instanceof InvalidTemplatesError)) throw err;
    const prefix = annotationPrefix(inputs.dir);
    for (const p of err.problems) core.error(p.message, { title: p.title, file: prefix + p.file, startLine: p.line || undefined, startColumn: p.column || undefined });
    await core.summary.addHeading('Build plan', 2).addRaw(`The templates have problems:\n\n${problemsTable(err.problems)}\n`).write();
    throw new Error(`the templates have ${err.problems.length} problem(s); see the annotations`);
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
