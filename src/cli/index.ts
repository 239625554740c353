#!/usr/bin/env node
import { main } from './main.js';

// No top-level await: ncc's bundler does not take it.
void main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
