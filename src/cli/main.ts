import type { CliIO } from './command.js';
import { commands } from './commands/index.js';
import { describeError, exitCodeOf } from '../lib/errors.js';
import { VERSION } from './version.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'build-image: validate, plan, build, test and promote container images from YAML templates',
    '',
    'Usage: build-image <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'build-image <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.err(`build-image: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    // `--help` wins over every other flag, and over errors in them.
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.help);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    // Usage errors already start with the command's name.
    const message = describeError(err);
    io.err(message.startsWith(`${name}: `) ? `build-image ${message}\n` : `build-image ${name}: ${message}\n`);
    return exitCodeOf(err);
  }
}
