// The entry the runner starts: only calls run(), which main.ts exports.
import { run } from './main.js';

void run();
