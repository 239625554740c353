// The clear values an environment's Secrets hold: `.coder/secrets/<name>.yaml` (sops v3 with
// age recipients) decrypted by the secrets module with the identity the workflow or person
// holds. Every value goes through `mask` before anything else sees it.
import { workflowDecrypter } from '../secrets/workflow.js';
import type { SecretValues } from './environment.js';

/** Decrypts secrets files of the templates repository at `root` with an age identity (the text of an age key file). */
export function secretValuesFromRepo(root: string, identity: string, mask: (value: string) => void = () => undefined): SecretValues {
  // The identity is parsed at the first secret asked for, then once for all of them.
  let decrypt: ReturnType<typeof workflowDecrypter> | undefined;
  return {
    async values(name: string): Promise<Record<string, string>> {
      decrypt ??= workflowDecrypter({ root, identity, mask });
      return decrypt([name]).get(name) ?? {};
    },
  };
}
