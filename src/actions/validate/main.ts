// actions/validate: one annotation per problem, a summary table, outputs `valid` and `problems`.
import * as core from '@actions/core';
import { summaryHeading, writeSummary } from '../../github/summary.js';
import { validateRepo } from '../../plan/index.js';
import { problemsTable } from '../../templates/problems.js';
import { annotationPrefix, listInput, registryInput, templatesDir } from '../../github/inputs.js';
import { runAction } from '../../github/run.js';
import { annotateProblems } from '../../github/annotate.js';

interface Inputs {
  dir: string;
  credentialNames?: string[];
  conventionRegistry?: string;
}

function getInputs(): Inputs {
  const names = listInput('credential-names');
  return {
    dir: templatesDir(),
    credentialNames: names.length > 0 ? names : undefined,
    conventionRegistry: registryInput('convention-registry'),
  };
}

/** The action body; index.ts calls it, and so can @github/local-action. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = getInputs();
    const { root, repo, problems } = validateRepo(inputs.dir, inputs);
    const prefix = annotationPrefix(root);
    annotateProblems(problems, prefix);
    core.setOutput('valid', problems.length === 0);
    core.setOutput('problems', JSON.stringify(problems.map(({ file, line, column, message }) => ({ file: prefix + file, line, column, message }))));
    const counts = `${repo.images.length} images, ${repo.environments.length} environments, ${repo.secrets.length} secrets`;
    writeSummary(
      summaryHeading('Template validation') + (problems.length === 0 ? `All templates are valid (${counts}).\n` : `${problems.length} problem(s) in ${counts}:\n\n${problemsTable(problems.map((p) => ({ ...p, file: prefix + p.file })))}\n`),
    );
    if (problems.length > 0) core.setFailed(`${problems.length} template problem(s); see the annotations`);
  });
}
