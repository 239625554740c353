// The floor bench/plan.ts compares against: a process that only reads every file the plan reads
// and YAML-parses the templates, with the same YAML package. Run as its own process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

const root = process.argv[2]!;
let count = 0;
for (const kind of ['images', 'environments']) {
  const dir = join(root, '.coder', kind);
  for (const file of readdirSync(dir)) {
    parseDocument(readFileSync(join(dir, file), 'utf8')).toJS();
    count++;
  }
}
for (const name of readdirSync(join(root, 'images'))) {
  readFileSync(join(root, 'images', name, 'Dockerfile'), 'utf8');
  count++;
}
process.stdout.write(JSON.stringify({ files: count }) + '\n');
