// Labels on everything build-image creates in a cluster, so one label selector finds (and
// cleans up) a run's pods and secrets.

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'build-image';
export const RUN_ID_LABEL = 'build-image.coder.com/run-id';
export const IMAGE_LABEL = 'build-image.coder.com/image';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** A label value: at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned;
}

/** The labels every object of one run carries. */
export function managedLabels(runId: string, extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: labelValue(runId) };
  for (const [k, v] of Object.entries(extra)) labels[k] = labelValue(v);
  return labels;
}

/** The selector that matches everything one run created. */
export function runSelector(runId: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${RUN_ID_LABEL}=${labelValue(runId)}`;
}

/**
 * An object name (RFC 1123 label, at most 63 characters) from free text plus a unique suffix:
 * `("Enterprise Dev", "a1b2c")` -> `enterprise-dev-a1b2c`.
 */
export function objectName(prefix: string, text: string, suffix: string): string {
  const clean = (s: string): string =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '');
  const tail = clean(suffix);
  const head = [clean(prefix), clean(text)].filter(Boolean).join('-');
  const room = 63 - tail.length - 1;
  return `${head.slice(0, room).replace(/-+$/, '')}-${tail}`;
}
