// `npm run kube-sim -- --port PORT --kubeconfig FILE`: one ready line, a kubeconfig kubectl uses,
// a clean exit on SIGTERM; bad flags are one-line errors with exit code 2.
import { expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/ports.js';

const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

test('starts in the foreground, prints one ready line, serves kubectl, stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-standalone-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const port = await freePort();
  const child = spawn(tsx, ['test/kube-sim/standalone.ts', '--port', String(port), '--kubeconfig', kubeconfig, '--namespace', 'dev'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before ready`)));
    });
    expect(out).toBe(`kube-sim ready at https://127.0.0.1:${port} (kubeconfig ${kubeconfig})\n`);
    const namespaces = await new Promise<string>((resolve, reject) => execFile('kubectl', ['--kubeconfig', kubeconfig, 'get', 'namespaces', '-o', 'name'], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))));
    expect(namespaces.split('\n')).toEqual(expect.arrayContaining(['namespace/default', 'namespace/dev']));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 60000);

test('a bad flag is one line and exit code 2', async () => {
  const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(tsx, ['test/kube-sim/standalone.ts', '--port', 'eighty', '--kubeconfig', '/tmp/x'], (err, _stdout, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, stderr })),
  );
  expect(result).toEqual({ code: 2, stderr: 'kube-sim: --port must be a port number, got "eighty"\n' });
}, 60000);
