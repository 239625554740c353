// How long each action bundle and the CLI take to start and finish a trivial run, against a
// bare `node -e ''` measured in the same run. Quality bar: every bundle starts in under 300 ms.
// Run after `npm run build`: npx tsx bench/startup.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROUNDS = 7;

function time(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  return performance.now() - started;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), 'bi-startup-'));
const env = { ...process.env, GITHUB_OUTPUT: join(dir, 'out'), GITHUB_STEP_SUMMARY: join(dir, 'summary'), GITHUB_STATE: join(dir, 'state') };
writeFileSync(env.GITHUB_OUTPUT, '');
writeFileSync(env.GITHUB_STEP_SUMMARY, '');
try {
  const bare = median(Array.from({ length: ROUNDS }, () => time(['-e', ''], env)));
  console.log(`node -e '': ${bare.toFixed(0)} ms`);
  // Loading the bundle is what is measured: no input is given, so most actions stop at their
  // first required input; validate runs on the examples.
  const bundles = readdirSync('dist').filter((d) => existsSync(join('dist', d, 'index.js')));
  let worst = 0;
  for (const name of bundles) {
    const args = name === 'cli' ? ['dist/cli/index.js', '--version'] : [join('dist', name, 'index.js')];
    const runEnv = name === 'validate' ? { ...env, INPUT_TEMPLATES: 'examples' } : env;
    const t = median(Array.from({ length: ROUNDS }, () => time(args, runEnv)));
    worst = Math.max(worst, t);
    console.log(`${name.padEnd(14)} ${t.toFixed(0).padStart(5)} ms  (${(t / bare).toFixed(1)}x bare node)`);
  }
  console.log(`slowest bundle: ${worst.toFixed(0)} ms (target: under 300 ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
