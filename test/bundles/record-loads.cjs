// Preloaded (node --require) into a bundle under test: writes to $RECORD_LOADS, at exit, the
// builtins and files the process loaded, one per line, so a test can say what a run paid for.
'use strict';
const Module = require('node:module');
const { writeFileSync } = require('node:fs');

const loaded = new Set();
const originalRequire = Module.prototype.require;
Module.prototype.require = function (id) {
  if (Module.isBuiltin(id)) loaded.add(`builtin:${id.replace(/^node:/, '')}`);
  return originalRequire.apply(this, arguments);
};
const originalGetBuiltin = process.getBuiltinModule;
process.getBuiltinModule = function (id) {
  loaded.add(`builtin:${id.replace(/^node:/, '')}`);
  return originalGetBuiltin.call(process, id);
};
process.on('exit', () => {
  for (const file of Object.keys(require.cache)) loaded.add(`file:${file}`);
  writeFileSync(process.env.RECORD_LOADS, [...loaded].sort().join('\n') + '\n');
});
