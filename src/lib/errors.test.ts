import { AggregateUserError, UsageError, UserError, describeError, exitCodeOf, isUserError } from './errors.js';

test("a UserError from another bundle's copy of the class is told by its mark", () => {
  // What a CLI command bundle throws reaches the dispatcher as an instance of another class.
  const foreign = Object.assign(new Error('bad flag'), { name: 'UsageError', exitCode: 2, [Symbol.for('build-image.UserError')]: true });
  expect(foreign instanceof UserError).toBe(false);
  expect(isUserError(foreign)).toBe(true);
  expect(describeError(foreign)).toBe('bad flag');
  expect(exitCodeOf(foreign)).toBe(2);
});

test('user errors keep their message and exit code; anything else is exit 1', () => {
  expect(exitCodeOf(new UsageError('x'))).toBe(2);
  expect(exitCodeOf(new UserError('x'))).toBe(1);
  expect(exitCodeOf(new Error('x'))).toBe(1);
  expect(isUserError(new Error('x'))).toBe(false);
  expect(isUserError({ [Symbol.for('build-image.UserError')]: true })).toBe(false); // not an Error
  expect(describeError(new AggregateUserError('2 failed', [new UserError('a'), new Error('b')]))).toBe('2 failed\n  - a\n  - b');
});
