// Step outputs for commands run as a plain `run:` step under GitHub Actions: appended to the
// file $GITHUB_OUTPUT names, in the delimiter form (values may span lines).
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Writes the outputs when running under Actions; returns false (and writes nothing) elsewhere. */
export function writeStepOutputs(env: NodeJS.ProcessEnv, outputs: Readonly<Record<string, string>>): boolean {
  const file = env.GITHUB_OUTPUT;
  if (!file) return false;
  let text = '';
  for (const [name, value] of Object.entries(outputs)) {
    let delimiter = `ghadelimiter_${randomBytes(8).toString('hex')}`;
    while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomBytes(8).toString('hex')}`;
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  appendFileSync(file, text);
  return true;
}
