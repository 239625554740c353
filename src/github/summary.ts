// The job summary: Markdown appended to the file $GITHUB_STEP_SUMMARY names. @actions/core's
// summary builds the text; it is appended here synchronously, because summary.write() goes
// through node:fs/promises (about 5 ms to load and first use) for one append at the end of a step.
import * as core from '@actions/core';
import { appendFileSync } from 'node:fs';
import { UserError } from '../lib/errors.js';

/** Appends what `summary` holds to the job summary and empties it, as summary.write() does. */
export function writeSummary(summary: typeof core.summary): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) throw new UserError('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
  appendFileSync(file, summary.stringify());
  summary.emptyBuffer();
}
