// The job summary: Markdown appended to the file $GITHUB_STEP_SUMMARY names, as GitHub documents
// it. Written here rather than with @actions/core's summary: its module destructures
// node:fs/promises at load (about 5 ms at every start), for one append at the end of a step.
// scripts/bundle.mjs then leaves that module out of the bundles.
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';
import { UserError } from '../lib/errors.js';

/** A second-level heading as @actions/core's summary.addHeading(text, 2) writes it. */
export function summaryHeading(text: string): string {
  return `<h2>${text}</h2>${EOL}`;
}

/** Appends `markdown` to the job summary. */
export function writeSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) throw new UserError('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
  appendFileSync(file, markdown);
}
