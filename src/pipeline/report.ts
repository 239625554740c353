// What a build run reports: the action's `images` output, the job summary (the graph coloured
// by outcome, a row per image, what was pushed under which tags and why each image was
// built, what went wrong) and the CLI's table. Pure: data in, text out.
import type { ImageStatus } from './scheduler.js';
import type { ImageReport, PipelineResult } from './pipeline.js';
import { promotionTags, testTag } from './tags.js';
import { describeSmoke } from './smoke.js';
import { mermaidSummary } from '../plan/format.js';
import { cell } from '../lib/markdown.js';

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The `images` output of the action: per image name, what was pushed and how it went. */
export function imagesOutput(result: PipelineResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const report of Object.values(result.images)) {
    out[report.name] = {
      status: report.status,
      digest: report.digest ?? null,
      reference: report.reference ?? null,
      repository: report.repository,
      tags: report.tags,
      smoke: report.smoke,
      durationMs: report.durationMs,
      ...(report.reason ? { reason: report.reason } : {}),
      ...(report.untestedAncestors ? { untestedAncestors: report.untestedAncestors } : {}),
      // What a promotion step should do once this image and all its ancestors passed:
      // `build-image promote <repository> --digest <digest> --from <from> --to <to>`.
      ...(report.digest && (report.status === 'built' || report.status === 'reused') && report.smoke !== 'failed' && !report.untestedAncestors
        ? { promote: { from: testTag(result.plan.images[report.name]!), to: promotionTags(result.plan.images[report.name]!) } }
        : {}),
    };
  }
  return out;
}

/** The diagram class of an image: how it went, `untested` for a ready image with no smoke test run, `unchanged` when not part of the run. */
export type Outcome = ImageStatus | 'untested' | 'unchanged';

export function outcomeOf(report: ImageReport | undefined): Outcome {
  if (!report) return 'unchanged';
  if ((report.status === 'built' || report.status === 'reused') && report.smoke === 'failed') return 'failed';
  if (report.status === 'built' && (report.smoke !== 'passed' || report.untestedAncestors)) return 'untested';
  return report.status;
}

const OUTCOME_STYLES: Record<Outcome, string> = {
  built: 'fill:#dcfce7,stroke:#16a34a',
  reused: 'fill:#e0f2fe,stroke:#0284c7',
  untested: 'fill:#fef9c3,stroke:#ca8a04',
  failed: 'fill:#fee2e2,stroke:#dc2626,stroke-width:2px',
  skipped: 'fill:#f3f4f6,stroke:#9ca3af,stroke-dasharray:4 2',
  cancelled: 'fill:#f3f4f6,stroke:#6b7280,stroke-dasharray:2 2',
  unchanged: 'fill:#ffffff,stroke:#d1d5db,color:#6b7280',
};

const LEGEND: Record<Outcome, string> = {
  built: '🟩 built and tested',
  reused: '🟦 reused (same inputs built before)',
  untested: '🟨 built, no smoke test passed',
  failed: '🟥 failed',
  skipped: '⬜ skipped (a parent failed)',
  cancelled: '⬜ cancelled',
  unchanged: '◻️ unchanged, not built',
};

/** The job summary: counts, the graph coloured by outcome, a row per image, what was pushed and why, and what failed. */
export function summaryMarkdown(result: PipelineResult): string {
  const reports = Object.values(result.images);
  const count = (status: ImageStatus): number => reports.filter((r) => r.status === status).length;
  const counts = (['built', 'reused', 'failed', 'skipped', 'cancelled'] as const)
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s}`)
    .join(', ');
  const outcomes = new Map(Object.keys(result.plan.images).map((name) => [name, outcomeOf(result.images[name])]));
  const used = [...new Set(outcomes.values())];
  const lines = [
    `## build-image: ${result.ok ? 'all images ready' : 'some images did not build'}`,
    '',
    counts ? `${counts}.` : 'Nothing to build: no image changed.',
    mermaidSummary(result.plan, {
      classOf: (name) => outcomes.get(name)!,
      classDefs: OUTCOME_STYLES,
      // On a large graph: what this run touched, not what it reused or left alone.
      focus: (name) => !['unchanged', 'reused'].includes(outcomes.get(name)!),
      detail: (name) => {
        const o = outcomes.get(name)!;
        return o === 'unchanged' ? undefined : o;
      },
    }),
  ];
  if (reports.length > 0) {
    lines.push(`${used.map((o) => LEGEND[o]).join(' · ')}`, '');
    lines.push('| Image | Result | Digest | Duration | Smoke tests |', '| --- | --- | --- | --- | --- |');
    for (const r of reports) {
      const digest = r.digest ? `\`${r.digest.slice(0, 19)}…\`` : '';
      const smoke = r.smokeResults ? describeSmoke({ passed: r.smoke === 'passed', results: r.smokeResults }) : r.smoke;
      lines.push(`| ${cell(r.name)}${r.requested ? '' : ' (ancestor)'} | ${r.status}${r.untestedAncestors ? ' on an untested parent' : ''} | ${digest} | ${r.status === 'skipped' ? '' : seconds(r.durationMs)} | ${cell(smoke)} |`);
    }
    lines.push('');
    const pushed = reports.filter((r) => r.reference);
    if (pushed.length > 0) {
      lines.push('### Pushed', '', '| Image | Reference | Tags | Why |', '| --- | --- | --- | --- |');
      for (const r of pushed) {
        const why = r.status === 'reused' ? 'inputs unchanged: the image built before is reused' : result.plan.images[r.name]?.reasons.join('; ') || (r.requested ? 'asked for' : 'a parent of an image asked for');
        lines.push(`| ${cell(r.name)} | \`${cell(r.reference!)}\` | ${r.tags.map((t) => `\`${cell(t)}\``).join(' ')} | ${cell(why)} |`);
      }
      lines.push('');
    }
  }
  const problems = reports.filter((r) => r.reason);
  if (problems.length > 0) {
    lines.push('### Problems', '');
    for (const r of problems) lines.push(`- **${r.name}** ${r.status}: ${cell(r.reason!)}`);
    for (const r of reports) {
      for (const s of r.smokeResults ?? []) {
        if (s.passed) continue;
        lines.push('', `<details><summary>${r.name}: smoke test ${s.name} (exit code ${s.exitCode})</summary>`, '', ...fenced(s.output.split('\n').slice(-30).join('\n')), '</details>');
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A code fence longer than any backtick run in the text, so output cannot close it. */
function fenced(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return [fence, text, fence];
}

/** A plain-text table for the CLI. */
export function summaryText(result: PipelineResult): string {
  const rows = Object.values(result.images).map((r) => [
    r.name,
    r.untestedAncestors ? `${r.status} (untested parent)` : r.status,
    r.reference ?? '',
    r.status === 'skipped' ? '' : seconds(r.durationMs),
    r.smokeResults ? describeSmoke({ passed: r.smoke === 'passed', results: r.smokeResults }) : r.smoke,
  ]);
  const header = ['IMAGE', 'RESULT', 'REFERENCE', 'TIME', 'SMOKE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (row: string[]): string =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [format(header), ...rows.map(format)];
  for (const r of Object.values(result.images)) if (r.reason) lines.push(`${r.name}: ${r.status}: ${r.reason}`);
  return lines.join('\n') + '\n';
}
