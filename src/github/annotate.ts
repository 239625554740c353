// Problems as GitHub annotations and job-summary tables, the same way in every action.
import * as core from '@actions/core';
import { summaryHeading, writeSummary } from './summary.js';
import { UserError } from '../lib/errors.js';
import type { InvalidTemplatesError } from '../plan/index.js';
import { resolveRoot } from '../templates/load.js';
import { problemsTable, type Problem } from '../templates/problems.js';
import { annotationPrefix } from './inputs.js';

/** One `core.error` per problem, placed on the file, line and column it is about. */
export function annotateProblems(problems: readonly Problem[], prefix: string): void {
  for (const p of problems) {
    const oneLine = p.endLine === p.line;
    core.error(p.message, {
      title: p.title,
      file: prefix + p.file,
      startLine: p.line || undefined,
      startColumn: p.column || undefined,
      endLine: oneLine ? p.endLine : undefined,
      endColumn: oneLine ? p.endColumn : undefined,
    });
  }
}

/** Annotates invalid templates, writes them to the summary, and returns the error to fail with. */
export async function reportInvalidTemplates(err: InvalidTemplatesError, templatesDir: string, heading: string): Promise<UserError> {
  const prefix = annotationPrefix(resolveRoot(templatesDir));
  annotateProblems(err.problems, prefix);
  writeSummary(summaryHeading(heading) + `The templates have problems:\n\n${problemsTable(err.problems.map((p) => ({ ...p, file: prefix + p.file })))}\n`);
  return new UserError(`the templates have ${err.problems.length} problem(s); see the annotations`);
}
