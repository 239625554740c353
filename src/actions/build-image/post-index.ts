// The entry the runner starts: only calls run(), which post.ts exports.
import { run } from './post.js';

void run();
