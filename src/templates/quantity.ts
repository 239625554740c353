// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), and the forms people
// write instead ("4GB", "512 MB", "2 cores") turned into the quantity they mean or an exact fix.

const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

export type QuantityResult = { ok: true; value: string; normalized: boolean } | { ok: false; message: string };

/** Kubernetes keeps quantities in an int64 of milli-units: anything beyond is no real request. */
const MAX_QUANTITY = 9.2e15;
const SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The value of a valid quantity as a number (Infinity when it overflows). */
function quantityValue(text: string): number {
  const m = QUANTITY.exec(text)!;
  const suffix = m[3];
  const base = Number(m[1]);
  if (suffix === undefined) return base;
  if (/^[eE]/.test(suffix)) return base * 10 ** Number(suffix.slice(1));
  return base * SUFFIX[suffix]!;
}

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
    if (raw > MAX_QUANTITY || /e/i.test(String(raw))) return { ok: false, message: `${kind} ${raw} is out of range; write a quantity such as ${kind === 'cpu' ? "'2' or '500m'" : "'4Gi'"}` };
    return { ok: true, value: String(raw), normalized: false };
  }
  if (typeof raw !== 'string') return { ok: false, message: `${kind} must be a quantity such as ${kind === 'cpu' ? "'2' or '500m'" : "'4Gi'"}` };
  const text = raw.trim();
  if (isQuantity(text)) {
    if (/^0*(\.0*)?[a-zA-Z]*$/.test(text)) return { ok: false, message: `${kind} must be more than 0` };
    if (!(quantityValue(text) <= MAX_QUANTITY)) return { ok: false, message: `${kind} '${text}' is out of range; write a quantity such as ${kind === 'cpu' ? "'2' or '500m'" : "'4Gi'"}` };
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
