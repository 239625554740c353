// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), and the forms people
// write instead ("4GB", "512 MB", "2 cores") turned into the quantity they mean or an exact fix.

const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

export type QuantityResult = { ok: true; value: string; normalized: boolean } | { ok: false; message: string };

/** Whether `text` is a valid, non-negative Kubernetes quantity as written. */
export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

/**
 * Checks a CPU or memory value. Numbers are taken as written ("cpu: 2"). Memory written the
 * Docker way with a byte suffix ("4GB", "512mb", "4 GiB") is read in binary units, as Docker
 * reads `--memory 4g`, and normalised ("4Gi"); anything else that is not a quantity gets the
 * exact fix in the message.
 */
export function checkQuantity(kind: 'cpu' | 'memory', raw: unknown): QuantityResult {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return { ok: false, message: `${kind} must be a positive quantity, not ${raw}` };
    if (raw === 0) return { ok: false, message: `${kind} must be more than 0` };
    return { ok: true, value: String(raw), normalized: false };
  }
  if (typeof raw !== 'string') return { ok: false, message: `${kind} must be a quantity such as ${kind === 'cpu' ? "'2' or '500m'" : "'4Gi'"}` };
  const text = raw.trim();
  if (isQuantity(text)) {
    if (/^0*(\.0*)?[a-zA-Z]*$/.test(text)) return { ok: false, message: `${kind} must be more than 0` };
    if (kind === 'memory' && /m$/.test(text)) {
      return { ok: false, message: `memory '${text}' means millibytes in Kubernetes; for megabytes write '${text.slice(0, -1)}Mi'` };
    }
    return { ok: true, value: text, normalized: text !== raw };
  }
  if (kind === 'memory') {
    const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpP])(?:i?[bB])?$/.exec(text);
    if (m) {
      const unit = m[2]!.toUpperCase();
      return { ok: true, value: `${m[1]}${unit === 'K' ? 'Ki' : `${unit}i`}`, normalized: true };
    }
    const bytes = /^(\d+)\s*[bB](ytes?)?$/.exec(text);
    if (bytes) return { ok: true, value: bytes[1]!, normalized: true };
    return { ok: false, message: `memory '${raw}' is not a Kubernetes quantity; write it like '4Gi', '512Mi' or '2G'` };
  }
  const cores = /^(\d+(?:\.\d+)?)\s*(cores?|cpus?|vcpus?)$/i.exec(text);
  if (cores) return { ok: true, value: cores[1]!, normalized: true };
  const milli = /^(\d+)\s*(millicores?|millicpus?)$/i.exec(text);
  if (milli) return { ok: true, value: `${milli[1]}m`, normalized: true };
  return { ok: false, message: `cpu '${raw}' is not a Kubernetes quantity; write cores like '2' or '1.5', or millicores like '500m'` };
}
