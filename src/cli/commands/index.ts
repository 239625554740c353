// Every CLI command, in the order `build-image --help` lists them.
import type { Command } from '../command.js';
import { validateCommand } from './validate.js';
import { planCommand } from './plan.js';

export const commands: Command[] = [validateCommand, planCommand];
