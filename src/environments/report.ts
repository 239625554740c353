// Status of an environment for people: one row per container (state, ready, restarts, last
// exit), as a text table for the CLI and a Markdown table for the job summary. Pure.
import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Verdict } from './rollout.js';

export interface ContainerRow {
  pod: string;
  container: string;
  image: string;
  state: string;
  ready: boolean;
  restarts: number;
  lastExit: string;
}

function stateOf(status: V1ContainerStatus | undefined): string {
  const s = status?.state;
  if (!s) return 'pending';
  if (s.running) return 'running';
  if (s.waiting) return `waiting: ${s.waiting.reason ?? 'unknown'}`;
  if (s.terminated) return `terminated: ${s.terminated.reason ?? `exit code ${s.terminated.exitCode}`}`;
  return 'unknown';
}

function lastExitOf(status: V1ContainerStatus | undefined): string {
  const t = status?.lastState?.terminated ?? status?.state?.terminated;
  if (!t) return '-';
  return `${t.exitCode}${t.reason ? ` (${t.reason})` : ''}`;
}

/** One row per container of each pod, in the pod spec's container order. */
export function containerRows(pods: readonly V1Pod[]): ContainerRow[] {
  const rows: ContainerRow[] = [];
  for (const pod of pods) {
    for (const c of pod.spec?.containers ?? []) {
      const status = pod.status?.containerStatuses?.find((s) => s.name === c.name);
      rows.push({
        pod: pod.metadata?.name ?? '',
        container: c.name,
        image: c.image ?? '',
        state: stateOf(status),
        ready: status?.ready === true,
        restarts: status?.restartCount ?? 0,
        lastExit: lastExitOf(status),
      });
    }
  }
  return rows;
}

const HEADERS = ['POD', 'CONTAINER', 'STATE', 'READY', 'RESTARTS', 'LAST EXIT', 'IMAGE'];

function cells(row: ContainerRow): string[] {
  return [row.pod, row.container, row.state, row.ready ? 'yes' : 'no', String(row.restarts), row.lastExit, row.image];
}

/** A plain-text table, columns padded like kubectl's. */
export function containerTable(rows: readonly ContainerRow[]): string {
  if (rows.length === 0) return 'no pods\n';
  const table = [HEADERS, ...rows.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('   ')).join('\n') + '\n';
}

function md(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A Markdown table for the job summary. */
export function containerMarkdown(rows: readonly ContainerRow[]): string {
  if (rows.length === 0) return '_no pods_\n';
  return [`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${cells(r).map(md).join(' | ')} |`)].join('\n') + '\n';
}

export interface EnvironmentStatus {
  environment: string;
  namespace: string;
  /** 'absent' when no Deployment exists. */
  state: 'ready' | 'waiting' | 'failed' | 'absent';
  message: string;
  reason?: string;
  image?: string;
  buildId?: string;
  rows: ContainerRow[];
  /** Last log lines per container, for failures. */
  logs?: Record<string, string>;
}

export function statusFrom(environment: string, namespace: string, deployment: V1Deployment | undefined, pods: readonly V1Pod[], verdict: Verdict | undefined): EnvironmentStatus {
  if (!deployment) return { environment, namespace, state: 'absent', message: `${environment} is not deployed in namespace ${namespace}`, rows: [] };
  const primary = deployment.spec?.template?.spec?.containers?.[0]?.image;
  return {
    environment,
    namespace,
    state: verdict?.state ?? 'waiting',
    message: verdict?.message ?? '',
    ...(verdict?.state === 'failed' ? { reason: verdict.reason } : {}),
    ...(primary ? { image: primary } : {}),
    ...(deployment.metadata?.annotations?.['build-image.coder.com/build-id'] ? { buildId: deployment.metadata.annotations['build-image.coder.com/build-id'] } : {}),
    rows: containerRows(pods),
  };
}

/** The whole status as text: one line, the table, and log tails when there are any. */
export function statusText(status: EnvironmentStatus): string {
  const head = status.state === 'failed' ? `${status.environment}: failed: ${status.reason}: ${status.message}` : `${status.environment}: ${status.state}: ${status.message}`;
  const parts = [`${head}\n`];
  if (status.image) parts.push(`image: ${status.image}\n`);
  if (status.state !== 'absent') parts.push(containerTable(status.rows));
  for (const [container, log] of Object.entries(status.logs ?? {})) {
    if (!log.trim()) continue;
    parts.push(`--- last log lines of ${container} ---\n${log.endsWith('\n') ? log : `${log}\n`}`);
  }
  return parts.join('');
}

/** The job summary: a heading, the verdict and the table. */
export function statusMarkdown(status: EnvironmentStatus): string {
  const icon = status.state === 'ready' ? '✅' : status.state === 'failed' ? '❌' : status.state === 'absent' ? '⚪' : '⏳';
  const lines = [`### ${icon} Environment ${status.environment} (${status.namespace})`, '', `${md(status.reason ? `${status.reason}: ${status.message}` : status.message)}`, ''];
  if (status.image) lines.push(`Image: \`${status.image}\``, '');
  if (status.state !== 'absent') lines.push(containerMarkdown(status.rows));
  for (const [container, log] of Object.entries(status.logs ?? {})) {
    if (log.trim()) lines.push(`<details><summary>last log lines of ${container}</summary>`, '', '```', log.trimEnd(), '```', '</details>', '');
  }
  return lines.join('\n');
}
