// The three patch formats client-node sends: JSON patch (RFC 6902), JSON merge patch (RFC 7386)
// and strategic merge patch (approximated: lists of objects with a `name` merge by name).
import { SimError } from '../store/status.js';

type Json = any;

export function applyPatch(target: Json, patch: Json, contentType: string): Json {
  const type = contentType.split(';')[0]!.trim();
  if (type === 'application/json-patch+json') return jsonPatch(target, patch);
  if (type === 'application/merge-patch+json') return mergePatch(target, patch, false);
  if (type === 'application/strategic-merge-patch+json') return mergePatch(target, patch, true);
  throw new SimError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`,
  );
}

/** The list keys strategic merge patch merges by (patchMergeKey in the Go types); other lists are replaced. */
function mergeKeyOf(field: string, items: Json[]): string | undefined {
  const byField: Record<string, string> = {
    containers: 'name',
    initContainers: 'name',
    ephemeralContainers: 'name',
    volumes: 'name',
    env: 'name',
    volumeMounts: 'mountPath',
    imagePullSecrets: 'name',
    conditions: 'type',
    ownerReferences: 'uid',
    hostAliases: 'ip',
    tolerations: 'key',
  };
  if (byField[field]) return byField[field];
  if (field === 'ports') return items.some((i) => i && typeof i === 'object' && 'containerPort' in i) ? 'containerPort' : 'port';
  return undefined;
}

function mergePatch(target: Json, patch: Json, strategic: boolean): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  if (strategic && patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  const result: Json = target && typeof target === 'object' && !Array.isArray(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (strategic && key.startsWith('$')) {
      // Directives: element order is cosmetic here; retainKeys and primitive-list deletions apply.
      if (key.startsWith('$deleteFromPrimitiveList/')) {
        const field = key.slice('$deleteFromPrimitiveList/'.length);
        if (Array.isArray(result[field])) result[field] = result[field].filter((v: Json) => !(value as Json[]).includes(v));
      } else if (key === '$retainKeys') {
        for (const k of Object.keys(result)) if (!(value as string[]).includes(k) && !(k in patch)) delete result[k];
      }
      continue;
    }
    if (value === null) delete result[key];
    else if (strategic && value && typeof value === 'object' && !Array.isArray(value) && (value as Json).$patch === 'delete') delete result[key];
    else if (strategic && Array.isArray(value) && Array.isArray(result[key]) && mergeKeyOf(key, [...value, ...result[key]])) {
      const mk = mergeKeyOf(key, [...value, ...result[key]])!;
      let merged: Json[] = structuredClone(result[key]);
      for (const item of value as Json[]) {
        if (!item || typeof item !== 'object') continue;
        const i = merged.findIndex((m) => m?.[mk] === item[mk]);
        if (item.$patch === 'delete') {
          if (i >= 0) merged = merged.filter((_, j) => j !== i);
        } else if (i >= 0) merged[i] = mergePatch(merged[i], item, true);
        else merged.push(mergePatch({}, item, true));
      }
      result[key] = merged;
    } else if (strategic && Array.isArray(value)) result[key] = value.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? mergePatch({}, v, true) : v));
    else result[key] = mergePatch(result[key], value, strategic);
  }
  return result;
}

/** Server-side apply's merge of an applied configuration into the live object (lists by merge key). */
export function mergeApplied(live: Json, applied: Json): Json {
  return mergePatch(live, applied, true);
}

function decodePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new SimError(422, 'Invalid', `invalid JSON patch path ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new SimError(400, 'BadRequest', 'json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops) {
    const parts = decodePointer(String(op.path));
    const read = (p: string[]): Json => p.reduce((v: Json, k) => (v === undefined ? undefined : v[k]), doc);
    if (op.op === 'test') {
      if (JSON.stringify(read(parts)) !== JSON.stringify(op.value)) {
        throw new SimError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${op.path} failed`);
      }
      continue;
    }
    let value = op.value;
    if (op.op === 'copy' || op.op === 'move') {
      value = structuredClone(read(decodePointer(String(op.from))));
      if (op.op === 'move') doc = removeAt(doc, decodePointer(String(op.from)));
    }
    if (op.op === 'remove') doc = removeAt(doc, parts);
    else if (['add', 'replace', 'copy', 'move'].includes(op.op)) doc = setAt(doc, parts, value, op.op === 'replace');
    else throw new SimError(422, 'Invalid', `unsupported JSON patch operation ${JSON.stringify(op.op)}`);
  }
  return doc;
}

function parentOf(doc: Json, parts: string[]): Json {
  let v = doc;
  for (const k of parts.slice(0, -1)) {
    v = v?.[k];
    if (v === undefined || v === null) throw new SimError(422, 'Invalid', `the server rejected our request: doc is missing path: /${parts.join('/')}`);
  }
  return v;
}

function setAt(doc: Json, parts: string[], value: Json, mustExist: boolean): Json {
  if (parts.length === 0) return structuredClone(value);
  const parent = parentOf(doc, parts);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (mustExist) parent[i] = structuredClone(value);
    else parent.splice(i, 0, structuredClone(value));
  } else {
    if (mustExist && !(key in parent)) throw new SimError(422, 'Invalid', `the server rejected our request: replace operation does not apply: doc is missing key: /${parts.join('/')}`);
    parent[key] = structuredClone(value);
  }
  return doc;
}

function removeAt(doc: Json, parts: string[]): Json {
  const parent = parentOf(doc, parts);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else {
    if (!(key in parent)) throw new SimError(422, 'Invalid', `the server rejected our request: remove operation does not apply: doc is missing path: /${parts.join('/')}`);
    delete parent[key];
  }
  return doc;
}
