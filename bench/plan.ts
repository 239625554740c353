// Plans 2,000 image templates (each with a Dockerfile, parents several levels deep) and 1,000
// environments, and compares the time with the bare cost of reading every file and
// YAML-parsing the templates, measured in the same run. Run: npx tsx bench/plan.ts
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createPlan } from '../src/plan/index.js';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 2000);
const ENVIRONMENTS = Number(process.env.BENCH_ENVIRONMENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

// A small deterministic PRNG so every run plans the same graph.
let seed = 42;
const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

function generate(root: string): void {
  mkdirSync(join(root, '.coder/images'), { recursive: true });
  mkdirSync(join(root, '.coder/environments'), { recursive: true });
  for (let i = 0; i < IMAGES; i++) {
    const name = `img-${i}`;
    // Parents come from earlier images, so the graph is acyclic and several levels deep.
    const parent = i < 20 || random() < 0.1 ? undefined : `img-${Math.floor(random() * Math.min(i, 200 + i / 2))}`;
    const dir = join(root, 'images', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'Dockerfile'),
      `ARG BASE=${parent ? `ghcr.io/acme/${parent}:latest` : 'docker.io/library/debian:12'}\nFROM \${BASE}\nRUN echo ${name} > /etc/${name}\nCOPY . /opt/${name}\n`,
    );
    writeFileSync(
      join(root, '.coder/images', `${name}.yaml`),
      [
        `name: ${name}`,
        'type: image',
        'spec:',
        `  context: ./images/${name}`,
        `  image: ghcr.io/acme/${name}`,
        '  tags: [latest]',
        '  parameters:',
        `    - { name: VERSION, description: version of ${name}, default: "1.${i}" }`,
        '  smoke:',
        `    - { name: present, run: test -f /etc/${name} }`,
        '  resources: { cpu: 2, memory: 4Gi }',
        '',
      ].join('\n'),
    );
  }
  for (let i = 0; i < ENVIRONMENTS; i++) {
    writeFileSync(
      join(root, '.coder/environments', `env-${i}.yaml`),
      [
        `name: env-${i}`,
        'type: environment',
        'provider: kubernetes',
        'spec:',
        '  - name: env',
        '    primary: true',
        `    image: img-${Math.floor(random() * IMAGES)}`,
        '    tag: main',
        '    cpu: 2',
        '    memory: 4GB',
        '    personalize: ["RUN echo hi > /tmp/hi"]',
        '    env:',
        '      - { name: A, value: b }',
        '  - name: postgres',
        '    image: postgres:16',
        '    env: [{ name: POSTGRES_DB, value: coder }]',
        '',
      ].join('\n'),
    );
  }
}

/** The floor: read every file the plan reads, and YAML-parse the templates. */
function bareReadAndParse(root: string): number {
  let count = 0;
  for (const kind of ['images', 'environments']) {
    const dir = join(root, '.coder', kind);
    for (const file of readdirSync(dir)) {
      parse(readFileSync(join(dir, file), 'utf8'));
      count++;
    }
  }
  for (const name of readdirSync(join(root, 'images'))) {
    readFileSync(join(root, 'images', name, 'Dockerfile'), 'utf8');
    count++;
  }
  return count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const root = mkdtempSync(join(tmpdir(), 'bi-bench-plan-'));
try {
  generate(root);
  // Warm both paths once (module loading, JIT), then alternate them so noise hits both alike.
  bareReadAndParse(root);
  let plan = await createPlan(root);
  const bare: number[] = [];
  const planned: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    bareReadAndParse(root);
    bare.push(performance.now() - t);
    t = performance.now();
    plan = await createPlan(root);
    planned.push(performance.now() - t);
  }
  const b = median(bare);
  const p = median(planned);
  console.log(`images: ${IMAGES}, environments: ${ENVIRONMENTS}, levels: ${plan.levels.length}, edges: ${Object.values(plan.images).reduce((n, i) => n + i.parents.length, 0)}`);
  console.log(`bare read + YAML parse: ${b.toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`plan:                   ${p.toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`ratio plan / bare:      ${(p / b).toFixed(2)}x (target: under 2 s and within 3x)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
