import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../command.js';
import { UsageError, UserError } from '../../lib/errors.js';
import { pinStarter, STARTER_FILES } from '../../github/starter.js';
import { VERSION } from '../version.js';

const HELP = `Usage: build-image init [DIR] [--ref REF] [--force]

Writes starter workflows into DIR/.github/workflows/ (DIR defaults to the current
directory, the root of your template repository):

  build-images.yml       validate, plan, build what changed with kaniko on your self-hosted
                         Kubernetes runners, smoke-test, promote what passed on the default
                         branch; fork pull requests never reach the self-hosted runners
  validate-and-plan.yml  validate and plan on GitHub-hosted runners, with the matrix outputs
  reusable.yml           call build-image's reusable workflow instead (same organisation, or
                         GitHub-hosted runners: see docs/workflows.md)

Every coder/build-image action is called at REF: by default this release's tag (v${VERSION}),
so the workflows keep running the code you tried, not a moving tag. Give a commit SHA to pin
harder. Existing files are left alone unless --force is given.

Options:
  --ref REF     the tag, branch or commit of coder/build-image to call (default v${VERSION})
  --force       overwrite existing workflow files
  -h, --help    show this help
`;

export const initCommand: Command = {
  name: 'init',
  summary: 'write starter workflows into a repository, calling the actions pinned to a release',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('init', args, { ref: { type: 'string' }, force: { type: 'boolean' } });
    if (positionals.length > 1) throw new UsageError(`init: give at most one directory\nRun 'build-image init --help' for usage.`);
    const ref = values.ref ?? `v${VERSION}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$/.test(ref) || ref.includes('..')) throw new UsageError(`init: --ref '${ref}' is not a tag, branch or commit name`);
    const dir = resolve(io.cwd, positionals[0] ?? '.');
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`init: no such directory: ${dir}`);
    const target = join(dir, '.github', 'workflows');
    const existing = STARTER_FILES.filter((f) => existsSync(join(target, f)));
    if (existing.length > 0 && !values.force) {
      throw new UserError(`init: ${existing.map((f) => relative(io.cwd, join(target, f)) || f).join(', ')} already exist(s); nothing written (--force overwrites)`);
    }
    mkdirSync(target, { recursive: true });
    for (const file of STARTER_FILES) {
      writeFileSync(join(target, file), pinStarter(file, ref));
      io.out(`wrote ${relative(io.cwd, join(target, file)) || file}\n`);
    }
    io.err(`The actions are called at coder/build-image@${ref}. Next: set 'registry' (and the runner labels) in build-images.yml.\n`);
    return 0;
  },
};
