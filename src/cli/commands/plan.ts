import { oneOf, parseBuildArgs, parseCommandArgs, type Command } from '../command.js';
import { createPlan, InvalidTemplatesError } from '../../plan/index.js';
import { formatPlanText, planToJson } from '../../plan/format.js';
import { toMermaid } from '../../graph/mermaid.js';
import { formatProblem } from '../../templates/problems.js';

const help = `Usage: build-image plan [DIR] [IMAGE...] [options]

Prints the build plan for the templates under DIR (default: the current directory): the
images in dependency order (parents first), grouped into levels, and why each is built.

Options:
  --since REV                 Build only images changed since REV (a commit, tag or
                              branch), and everything built on them.
  --format text|json|mermaid  Output format (default: text).
  --convention-registry R     Repository prefix for images/<name>/Dockerfile images.
  --build-arg NAME=VALUE      Override a parameter or ARG default in every image that
                              declares it (repeatable).
  --branch NAME               The branch being built: a FROM naming an image's branch
                              tag then builds on that image (its test, commit and fixed
                              tags always do).
  -h, --help                  Show this help.

IMAGE names restrict the plan to those images. With --format json, invalid templates print
{"valid": false, "problems": [...]} and exit 1.
`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'print the build order, levels and the reason each image is built',
  help,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('plan', args, {
      since: { type: 'string' },
      format: { type: 'string' },
      'convention-registry': { type: 'string' },
      'build-arg': { type: 'string', multiple: true },
      branch: { type: 'string' },
    });
    const format = oneOf('plan', 'format', values.format, ['text', 'json', 'mermaid'] as const, 'text');
    const [dir = io.cwd, ...names] = positionals;
    try {
      const plan = await createPlan(dir, { since: values.since, names, conventionRegistry: values['convention-registry'], buildArgs: parseBuildArgs('plan', values['build-arg']), branch: values.branch });
      if (format === 'json') io.out(JSON.stringify(planToJson(plan), null, 2) + '\n');
      else if (format === 'mermaid') io.out(toMermaid(plan));
      else io.out(formatPlanText(plan));
      return 0;
    } catch (err) {
      if (!(err instanceof InvalidTemplatesError)) throw err;
      if (format === 'json') {
        // A pipeline reading JSON gets JSON either way: the problems, as `validate --format json` prints them.
        io.out(JSON.stringify({ valid: false, problems: err.problems.map(({ file, line, column, message }) => ({ file, line, column, message })) }, null, 2) + '\n');
        return 1;
      }
      for (const p of err.problems) io.err(formatProblem(p) + '\n');
      io.err(`plan: the templates have ${err.problems.length} problem(s); fix them first (build-image validate)\n`);
      return 1;
    }
  },
};
