// Runs the CLI in-process and captures what it writes.
import { main } from '../../src/cli/main.js';

export async function runCli(args: string[], cwd = process.cwd()): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    cwd,
    env: process.env,
  });
  return { code, stdout, stderr };
}
