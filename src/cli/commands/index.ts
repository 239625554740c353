// Every CLI command, in the order `build-image --help` lists them. A command's module is
// imported only when that command runs (or its --help is asked for): each is its own bundle
// (dist/cli/commands/<name>.js), so `build-image validate` never reads the build pipeline.
// The summary is repeated here so `build-image --help` loads no command (index.test.ts checks it).
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  /** One line for `build-image --help`; the same as the loaded command's `summary`. */
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'validate', summary: 'check templates and report every problem with file and line', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'plan', summary: 'print the build order, levels and the reason each image is built', load: async () => (await import('./plan.js')).planCommand },
  { name: 'build', summary: 'build, push and smoke-test images in dependency order (buildah or kaniko)', load: async () => (await import('./build.js')).buildCommand },
  { name: 'nightly', summary: 'rebuild only the images whose base digest, source repository or parent moved', load: async () => (await import('./nightly.js')).nightlyCommand },
  { name: 'promote', summary: 'move tags (e.g. latest) to the tested digest, all or nothing', load: async () => (await import('./promote.js')).promoteCommand },
  { name: 'push-archive', summary: 'push a docker-archive or OCI layout to a registry, skipping blobs it has', load: async () => (await import('./push-archive.js')).pushArchiveCommand },
  { name: 'check-image', summary: 'check an image in a registry against the image minimums', load: async () => (await import('./check-image.js')).checkImageCommand },
  { name: 'env', summary: 'build, deploy, inspect and delete development environments (build|up|status|down)', load: async () => (await import('./env.js')).envCommand },
  { name: 'secret', summary: 'create, edit, show, rotate and verify encrypted secrets (sops + age)', load: async () => (await import('./secret.js')).secretCommand },
  { name: 'init', summary: 'write starter workflows into a repository, calling the actions pinned to a release', load: async () => (await import('./init.js')).initCommand },
];
