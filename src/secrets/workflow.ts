// Secrets in a workflow: the age identity comes from an action input (filled from GitHub
// secrets); every decrypted value goes through `mask` (core.setSecret at the action's edge)
// before anything else sees it; the values become the environment's Kubernetes Secrets.
import { UserError } from '../lib/errors.js';
import { parseIdentityFile } from '../systems/age/age.js';
import type { KubeClient } from '../systems/kube/client.js';
import { applyEnvironmentSecret, deleteEnvironmentSecrets, environmentSecretManifest } from '../systems/kube/secrets.js';
import { decryptSecret, listSecrets, secretRef } from './store.js';
import { isLeaf, type Value } from './tree.js';

export interface WorkflowDecryptOptions {
  /** Repository root holding `.coder/secrets/`. */
  root: string;
  /** The identity input: one or more `AGE-SECRET-KEY-1...` lines (an age key file's text). */
  identity: string;
  /** Called with every secret string (the identity, each value and each line of it) before anything else sees it. */
  mask: (secret: string) => void;
  /** Which secrets; default every file in `.coder/secrets/`. */
  names?: readonly string[];
}

/** A value as a Kubernetes Secret holds it: strings as they are, numbers and booleans as text, maps and lists as JSON. */
export function secretString(value: Value): string {
  if (value === null) return '';
  if (isLeaf(value)) return value.type === 'bool' ? value.text.toLowerCase() : value.text;
  return JSON.stringify(toJson(value));
}

function toJson(value: Value): unknown {
  if (value === null) return null;
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toJson(v)]));
  if (Array.isArray(value)) return value.map(toJson);
  if (value.type === 'str') return value.text;
  if (value.type === 'bool') return value.text === 'True';
  const n = Number(value.text);
  return value.type === 'int' && !Number.isSafeInteger(n) ? value.text : n;
}

function maskAll(mask: (s: string) => void, text: string): void {
  if (text.trim() === '') return;
  mask(text);
  // Runners mask line by line: a multi-line value must be registered per line too.
  if (text.includes('\n')) for (const line of text.split(/\r?\n/)) if (line.trim().length > 3) mask(line);
}

/** Decrypts secrets for a workflow; every value is masked before it is returned. */
export function decryptForWorkflow(options: WorkflowDecryptOptions): Map<string, Record<string, string>> {
  return workflowDecrypter(options)(options.names);
}

/**
 * The identity checked, masked and parsed once; then a decrypter for any secrets of the
 * repository (default: every file in `.coder/secrets/`), each value masked before it is returned.
 */
export function workflowDecrypter(options: Omit<WorkflowDecryptOptions, 'names'>): (names?: readonly string[]) => Map<string, Record<string, string>> {
  maskAll(options.mask, options.identity.trim());
  if (options.identity.trim() === '') throw new UserError('no age identity: set the age-key input from a GitHub secret holding an AGE-SECRET-KEY-1... line');
  const identities = parseIdentityFile(options.identity, 'the age-key input');
  return (names) => {
    const refs = names ? names.map((n) => secretRef(options.root, n)) : listSecrets(options.root);
    const out = new Map<string, Record<string, string>>();
    for (const ref of refs) {
      const { plain } = decryptSecret(ref, identities);
      const values: Record<string, string> = {};
      for (const [key, value] of plain) {
        const text = secretString(value);
        maskAll(options.mask, text);
        values[key] = text;
      }
      out.set(ref.name, values);
    }
    return out;
  };
}

export interface SyncResult {
  secret: string;
  name: string;
  keys: string[];
  action: 'created' | 'updated' | 'unchanged';
}

/**
 * Makes the environment's Kubernetes Secrets match `secrets` (name -> values): creates or
 * updates each in place and deletes the environment's Secrets that are no longer wanted.
 * The result names keys only.
 */
export async function syncEnvironmentSecrets(
  client: KubeClient,
  input: { namespace: string; environment: string; owner?: { name: string; uid: string }; secrets: Map<string, Record<string, string>> },
): Promise<{ applied: SyncResult[]; deleted: string[] }> {
  const applied: SyncResult[] = [];
  for (const [secret, values] of input.secrets) {
    const manifest = environmentSecretManifest({ namespace: input.namespace, environment: input.environment, secret, values, owner: input.owner });
    const action = await applyEnvironmentSecret(client, manifest);
    applied.push({ secret, name: manifest.metadata!.name!, keys: Object.keys(values), action });
  }
  const deleted = await deleteEnvironmentSecrets(
    client,
    input.namespace,
    input.environment,
    applied.map((a) => a.name),
  );
  return { applied, deleted };
}
