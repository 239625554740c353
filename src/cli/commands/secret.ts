import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArgs, type CliIO, type Command } from '../command.js';
import { UsageError, UserError } from '../../lib/errors.js';
import { resolveRoot } from '../../templates/load.js';
import { editSecret } from '../../secrets/edit.js';
import { checkRecipients, loadIdentities, readRecipientsFile } from '../../secrets/keys.js';
import { checkKeyName, createSecret, decryptSecret, defaultRecipients, formatPlain, readSecret, rotateSecret, secretRef, updateKeys, updateSecret, verifySecrets } from '../../secrets/store.js';
import { str, type ValueMap } from '../../secrets/tree.js';
import { runInteractive } from '../../systems/process/interactive.js';

const HELP = `Usage: build-image secret <subcommand> NAME [options]

Encrypted secrets in .coder/secrets/NAME.yaml, in the sops v3 format with age keys: key
names in clear, every value encrypted, a MAC over all of them. 'sops' reads and edits the
same files.

Subcommands:
  create NAME [--from-literal K=V]... [--from-file K=PATH]... [--recipient age1...]...
              [--recipients-file F]
                        write a new secret, encrypted to the recipients (default: the
                        public keys listed in .coder/secrets/.recipients)
  set NAME K=V... [--from-file K=PATH]...
                        add or change keys
  unset NAME K...       remove keys
  edit NAME             open the decrypted values in $EDITOR; the temporary file (mode
                        0600) is removed afterwards
  show NAME [--key K]   print the decrypted values (or one value)
  updatekeys NAME [--recipient age1...]... [--recipients-file F]
                        encrypt the data key to the recipients (default:
                        .coder/secrets/.recipients, else the file's own)
  rotate NAME           a new data key: every value is encrypted again
  verify [NAME...]      decrypt every secret in memory and check its MAC

Every subcommand but create needs an age identity: --identity F, else SOPS_AGE_KEY (the key
itself), SOPS_AGE_KEY_FILE, or ~/.config/sops/age/keys.txt, as sops reads them.
Values that did not change keep their ciphertext, so a diff shows only what changed.

Options:
  --dir DIR             the repository root (default: the current directory)
  --identity F          an age key file (AGE-SECRET-KEY-1... lines)
  -h, --help            show this help
`;

function splitPair(flag: string, item: string): [string, string] {
  const eq = item.indexOf('=');
  // Never echo the argument: without its '=' it may be a value typed in the wrong place.
  if (eq <= 0) throw new UsageError(`secret: ${flag} expects KEY=VALUE (${eq === 0 ? 'the key is empty' : "no '=' in it"})`);
  const key = item.slice(0, eq);
  checkKeyName(key);
  return [key, item.slice(eq + 1)];
}

function readValueFile(key: string, path: string, cwd: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(resolve(cwd, path));
  } catch (err) {
    throw new UserError(`--from-file ${key}=${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`--from-file ${key}=${path}: not UTF-8 text; encode binary files (e.g. base64) first`);
  }
}

/** --from-literal and --from-file (and bare K=V for set), in the order given. */
function valuesFrom(literals: string[], files: string[], cwd: string): ValueMap {
  const out: ValueMap = new Map();
  const put = (key: string, value: string): void => {
    if (out.has(key)) throw new UsageError(`secret: key '${key}' given twice`);
    out.set(key, str(value));
  };
  for (const item of literals) put(...splitPair('--from-literal', item));
  for (const item of files) {
    const [key, path] = splitPair('--from-file', item);
    put(key, readValueFile(key, path, cwd));
  }
  return out;
}

function recipientsFrom(values: { recipient?: string[]; 'recipients-file'?: string }, cwd: string): string[] {
  return checkRecipients([...(values.recipient ?? []), ...(values['recipients-file'] ? readRecipientsFile(resolve(cwd, values['recipients-file'])) : [])]);
}

function one(sub: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`secret ${sub}: expected one NAME, got ${positionals.length}\nRun 'build-image secret --help' for usage.`);
  return positionals[0]!;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** $EDITOR (or $VISUAL, else vi), split on spaces like a shell would for `code --wait`. */
async function runEditor(io: CliIO, path: string): Promise<void> {
  const [command, ...args] = (io.env.EDITOR || io.env.VISUAL || 'vi').trim().split(/\s+/);
  const code = await runInteractive(command!, [...args, path], { env: io.env });
  if (code !== 0) throw new UserError(`the editor (${command}) exited with ${code}; nothing changed`);
}

export const secretCommand: Command = {
  name: 'secret',
  summary: 'create, edit, show, rotate and verify encrypted secrets (sops + age)',
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    const { values, positionals: given } = parseCommandArgs(`secret ${sub ?? ''}`.trim(), rest, {
      dir: { type: 'string' },
      identity: { type: 'string' },
      'from-literal': { type: 'string', multiple: true },
      'from-file': { type: 'string', multiple: true },
      recipient: { type: 'string', multiple: true },
      'recipients-file': { type: 'string' },
      key: { type: 'string' },
    });
    const positionals: string[] = given;
    const root = resolveRoot(resolve(io.cwd, values.dir ?? '.'));
    const identities = () => loadIdentities({ identityFile: values.identity && resolve(io.cwd, values.identity), env: io.env });
    const allowed: Record<string, string[]> = {
      create: ['dir', 'from-literal', 'from-file', 'recipient', 'recipients-file'],
      set: ['dir', 'identity', 'from-file'],
      unset: ['dir', 'identity'],
      edit: ['dir', 'identity'],
      show: ['dir', 'identity', 'key'],
      updatekeys: ['dir', 'identity', 'recipient', 'recipients-file'],
      rotate: ['dir', 'identity'],
      verify: ['dir', 'identity'],
    };
    if (sub === undefined || !(sub in allowed)) {
      throw new UsageError(`secret: ${sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`}; one of ${Object.keys(allowed).join(', ')}\nRun 'build-image secret --help' for usage.`);
    }
    const extra = Object.keys(values).filter((k) => !allowed[sub]!.includes(k));
    if (extra.length > 0) throw new UsageError(`secret ${sub}: --${extra[0]} does not apply here\nRun 'build-image secret --help' for usage.`);

    switch (sub) {
      case 'create': {
        const ref = secretRef(root, one(sub, positionals));
        const plain = valuesFrom(values['from-literal'] ?? [], values['from-file'] ?? [], io.cwd);
        const recipients = values.recipient || values['recipients-file'] ? recipientsFrom(values, io.cwd) : defaultRecipients(root);
        createSecret(ref, plain, recipients);
        io.out(`created ${ref.label}: ${plural(plain.size, 'key')}, encrypted to ${plural(recipients.length, 'recipient')}\n`);
        return 0;
      }
      case 'set': {
        const [name, ...pairs] = positionals;
        if (name === undefined) throw new UsageError(`secret set: expected NAME K=V...`);
        const ref = secretRef(root, name);
        const updates = valuesFrom(pairs, values['from-file'] ?? [], io.cwd);
        if (updates.size === 0) throw new UsageError(`secret set: give at least one K=V or --from-file K=PATH`);
        const changed = updateSecret(ref, identities(), (plain) => {
          for (const [k, v] of updates) plain.set(k, v);
          return plain;
        });
        io.out(changed.length ? `updated ${ref.label}: ${changed.join(', ')}\n` : `${ref.label}: no change\n`);
        return 0;
      }
      case 'unset': {
        const [name, ...keys] = positionals;
        if (name === undefined || keys.length === 0) throw new UsageError(`secret unset: expected NAME KEY...`);
        const ref = secretRef(root, name);
        const changed = updateSecret(ref, identities(), (plain) => {
          for (const k of keys) {
            if (!plain.has(k)) throw new UserError(`${ref.label} has no key '${k}'`);
            plain.delete(k);
          }
          return plain;
        });
        io.out(`updated ${ref.label}: removed ${changed.join(', ')}\n`);
        return 0;
      }
      case 'edit': {
        const ref = secretRef(root, one(sub, positionals));
        const changed = await editSecret(ref, identities(), (path) => runEditor(io, path));
        io.out(changed.length ? `updated ${ref.label}: ${changed.join(', ')}\n` : `${ref.label}: no change\n`);
        return 0;
      }
      case 'show': {
        const ref = secretRef(root, one(sub, positionals));
        const { plain } = decryptSecret(ref, identities());
        const text = formatPlain(plain, values.key, ref.label);
        io.out(values.key !== undefined && !text.endsWith('\n') ? `${text}\n` : text);
        return 0;
      }
      case 'updatekeys': {
        const ref = secretRef(root, one(sub, positionals));
        let recipients = values.recipient || values['recipients-file'] ? recipientsFrom(values, io.cwd) : defaultRecipients(root);
        if (recipients.length === 0) recipients = readSecret(ref).metadata.age.map((e) => e.recipient);
        const { added, removed } = updateKeys(ref, identities(), recipients);
        const change = [...added.map((r) => `+${r}`), ...removed.map((r) => `-${r}`)];
        io.out(change.length ? `updated ${ref.label}: ${change.join(' ')}\n` : `${ref.label}: recipients unchanged\n`);
        return 0;
      }
      case 'rotate': {
        const ref = secretRef(root, one(sub, positionals));
        rotateSecret(ref, identities());
        io.out(`rotated ${ref.label}: new data key, every value encrypted again\n`);
        return 0;
      }
      case 'verify': {
        const results = verifySecrets(root, identities()).filter((r) => positionals.length === 0 || positionals.includes(r.ref.name));
        const missing = positionals.filter((p) => !results.some((r) => r.ref.name === p));
        if (missing.length) throw new UserError(`no secret named ${missing.map((m) => `'${m}'`).join(', ')} in .coder/secrets`);
        for (const r of results) {
          if (r.error) io.err(`${r.error}\n`);
          else io.out(`ok ${r.ref.label}: ${plural(r.keys!, 'value')}, MAC verified\n`);
        }
        const failed = results.filter((r) => r.error).length;
        if (failed) io.err(`${failed} of ${results.length} secret file(s) failed verification\n`);
        else if (results.length === 0) io.out('no secret files in .coder/secrets\n');
        return failed ? 1 : 0;
      }
    }
    return 2;
  },
};
