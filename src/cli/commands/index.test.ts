import { commands } from './index.js';

test.each(commands.map((c) => [c.name, c] as const))('%s: the lazily loaded command has the name and summary --help lists', async (name, entry) => {
  const command = await entry.load();
  expect(command.name).toBe(name);
  expect(command.summary).toBe(entry.summary);
});
