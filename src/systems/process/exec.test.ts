import { exec, ExecAbortedError } from './exec.js';

test('streams complete lines from stdout and stderr and returns the exit code', async () => {
  const lines: string[] = [];
  const result = await exec('/bin/sh', ['-c', 'printf "one\\ntwo"; echo oops >&2; printf "\\nthree\\r\\n"; exit 3'], {
    onLine: (line, stream) => lines.push(`${stream}:${line}`),
  });
  expect(result.exitCode).toBe(3);
  expect(lines.filter((l) => l.startsWith('stdout'))).toEqual(['stdout:one', 'stdout:two', 'stdout:three']);
  expect(lines).toContain('stderr:oops');
  expect(result.stdout).toBe('one\ntwo\nthree\r\n');
});

test('arguments are passed as they are, never through a shell', async () => {
  const result = await exec('/bin/echo', ['$HOME', '; rm -rf /', '"quoted"']);
  expect(result.stdout).toBe('$HOME ; rm -rf / "quoted"\n');
});

test('stdin input reaches the command', async () => {
  expect((await exec('/bin/cat', [], { input: 'from stdin' })).stdout).toBe('from stdin');
});

test('the tail keeps the last lines for error messages', async () => {
  const result = await exec('/bin/sh', ['-c', 'for i in 1 2 3 4 5; do echo line$i; done'], { tailLines: 2 });
  expect(result.tail).toEqual(['line4', 'line5']);
});

test('aborting kills the command', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const running = exec('/bin/sh', ['-c', 'echo ready; sleep 30'], {
    signal: controller.signal,
    onLine: (line) => line === 'ready' && controller.abort(),
  });
  await expect(running).rejects.toBeInstanceOf(ExecAbortedError);
  expect(Date.now() - started).toBeLessThan(10000);
  await expect(exec('/bin/true', [], { signal: AbortSignal.abort() })).rejects.toThrow('was cancelled');
});

test('a missing command is a clear error', async () => {
  await expect(exec('no-such-command-bi', [])).rejects.toThrow('no-such-command-bi is not installed (not found on PATH)');
});
