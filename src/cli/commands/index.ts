// Every CLI command, in the order `build-image --help` lists them.
import type { Command } from '../command.js';
import { validateCommand } from './validate.js';
import { planCommand } from './plan.js';
import { buildCommand } from './build.js';
import { promoteCommand } from './promote.js';
import { pushArchiveCommand } from './push-archive.js';
import { checkImageCommand } from './check-image.js';
import { envCommand } from './env.js';
import { secretCommand } from './secret.js';

export const commands: Command[] = [validateCommand, planCommand, buildCommand, promoteCommand, pushArchiveCommand, checkImageCommand, envCommand, secretCommand];
