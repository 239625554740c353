#!/usr/bin/env node
import { main } from './main.js';

// `build-image plan | head`: once the reader has gone, further output is dropped quietly
// instead of dying on EPIPE with a stack trace; the exit code stays the command's own.
const closed = { stdout: false, stderr: false };
for (const name of ['stdout', 'stderr'] as const) {
  process[name].on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    closed[name] = true;
  });
}

void main(process.argv.slice(2), {
  out: (text) => {
    if (!closed.stdout) process.stdout.write(text);
  },
  err: (text) => {
    if (!closed.stderr) process.stderr.write(text);
  },
  cwd: process.cwd(),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
