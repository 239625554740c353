import { foreignOutput, printForeign } from './foreign.js';

function capture() {
  const chunks: string[] = [];
  return { write: (t: string) => void chunks.push(t), text: () => chunks.join('') };
}

test.each([
  ['an ::error:: line', '::error::pwned'],
  ['an ::add-mask:: line', '::add-mask::x'],
  ['a forged resume of a guessed token', '::stop-commands::abc\n::abc::\n::set-env name=X::1'],
  ['carriage returns', 'ok\r::warning::x'],
])('%s is printed only inside a stop-commands window', (_title, text) => {
  const out = capture();
  printForeign(text, out.write);
  const lines = out.text().split('\n').filter(Boolean);
  const start = /^::stop-commands::([0-9a-f]{32})$/.exec(lines[0]!);
  expect(start).not.toBeNull();
  expect(lines.at(-1)).toBe(`::${start![1]}::`);
  // the token appears nowhere in the foreign text, so the text cannot end the window
  expect(lines.slice(1, -1).join('\n')).not.toContain(start![1]);
  expect(lines.slice(1, -1)).toEqual(text.split(/\r?\n|\r/));
});

test('consecutive foreign lines share one window; our own commands close it first', () => {
  const out = capture();
  const foreign = foreignOutput(out.write);
  foreign.print('step 1');
  foreign.print('step 2\n');
  foreign.ours(() => out.write('::group::ours\n'));
  foreign.print('step 3');
  foreign.resume();
  foreign.resume();
  const lines = out.text().split('\n').filter(Boolean);
  expect(lines).toHaveLength(8);
  expect(lines[0]).toMatch(/^::stop-commands::/);
  expect(lines.slice(1, 3)).toEqual(['step 1', 'step 2']);
  expect(lines[3]).toMatch(/^::[0-9a-f]{32}::$/);
  expect(lines[4]).toBe('::group::ours');
  expect(lines[5]).toMatch(/^::stop-commands::/);
  expect(lines[5]).not.toBe(lines[0]); // a fresh token per window
  expect(lines[6]).toBe('step 3');
});
