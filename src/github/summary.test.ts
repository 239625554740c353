// The job summary writer against @actions/core's own: the same text in the same file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { summaryHeading, writeSummary } from './summary.js';
import { UserError } from '../lib/errors.js';

const saved = process.env.GITHUB_STEP_SUMMARY;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bi-summary-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
  else process.env.GITHUB_STEP_SUMMARY = saved;
});

test('writes what core.summary writes, appending to what earlier steps wrote', async () => {
  const ours = join(dir, 'ours');
  const theirs = join(dir, 'theirs');
  for (const file of [ours, theirs]) writeFileSync(file, 'earlier step\n');
  const table = '| a | b |\n|---|---|\n| 1 | 2 |\n';

  process.env.GITHUB_STEP_SUMMARY = theirs;
  await core.summary.addHeading('Build plan', 2).addRaw(table).write();
  process.env.GITHUB_STEP_SUMMARY = ours;
  writeSummary(summaryHeading('Build plan') + table);

  expect(readFileSync(ours, 'utf8')).toBe(readFileSync(theirs, 'utf8'));
  expect(readFileSync(ours, 'utf8')).toMatch(/^earlier step\n<h2>Build plan<\/h2>\n\| a \| b \|/);
});

test('no GITHUB_STEP_SUMMARY: a clear error, as core.summary gives', () => {
  delete process.env.GITHUB_STEP_SUMMARY;
  expect(() => writeSummary('x')).toThrow(UserError);
  expect(() => writeSummary('x')).toThrow(/\$GITHUB_STEP_SUMMARY/);
});
