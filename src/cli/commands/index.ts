// Every CLI command, in the order `build-image --help` lists them. A command's module is
// imported only when that command runs (or its --help is asked for): each sits in its own
// bundle chunk, so `build-image validate` never loads the build pipeline or a registry client.
// The summary is repeated here so `build-image --help` loads no command (index.test.ts checks it).
import type { Command } from '../command.js';

export interface CommandEntry {
  name: string;
  /** One line for `build-image --help`; the same as the command's own summary. */
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'validate', summary: 'check templates and report every problem with file and line', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'plan', summary: 'print the build order, levels and the reason each image is built', load: async () => (await import('./plan.js')).planCommand },
  { name: 'build', summary: 'build, push and smoke-test images in dependency order (buildah or kaniko)', load: async () => (await import('./build.js')).buildCommand },
  { name: 'promote', summary: 'move tags (e.g. latest) to the tested digest, all or nothing', load: async () => (await import('./promote.js')).promoteCommand },
  {
    name: 'push-archive',
    summary: 'push a docker-archive or OCI layout to a registry, skipping blobs it has',
    load: async () => (await import('./push-archive.js')).pushArchiveCommand,
  },
  { name: 'check-image', summary: 'check an image in a registry against the image minimums', load: async () => (await import('./check-image.js')).checkImageCommand },
];
