// The build-like commands' answer to templates that do not validate (validate and plan print
// their own, in their output formats). Apart from command.ts so commands that never plan do not
// bundle the planner.
import type { CliIO } from './command.js';
import { InvalidTemplatesError } from '../plan/index.js';
import { formatProblem } from '../templates/problems.js';

/** Prints invalid templates' problems, one per line, says what to do, and returns exit code 1; other errors pass. */
export function reportInvalidTemplates(command: string, err: unknown, io: Pick<CliIO, 'err'>): number {
  if (!(err instanceof InvalidTemplatesError)) throw err;
  for (const p of err.problems) io.err(formatProblem(p) + '\n');
  io.err(`${command}: the templates have ${err.problems.length} problem(s); fix them first (build-image validate)\n`);
  return 1;
}
