/** The protocol layer on its own: references (invoice, preauthcode) and receipt modes. No sockets, no timers. */
import assert from 'node:assert/strict';
import { parseReceiptMode, parseReference } from '../src/protocol';
import { assertInputError } from './support/input-errors';

describe('protocol: references and receipt modes', () => {
  const F = 'msg.invoice';

  it('accepts 1 to 50 printable ASCII characters, inner spaces and punctuation included', () => {
    assert.equal(parseReference('a'.repeat(50), F), 'a'.repeat(50));
    assert.equal(parseReference('X', F), 'X');
    assert.equal(parseReference('INV 2024/07-#1 (a&b) <c> "d" \'e\' ~', F), 'INV 2024/07-#1 (a&b) <c> "d" \'e\' ~');
  });

  it('rejects 51 characters', () => {
    assertInputError(() => parseReference('a'.repeat(51), F), F, /at most 50 characters, not 51/);
  });

  it('rejects an empty string', () => assertInputError(() => parseReference('', F), F, /empty/));

  for (const [name, value] of [
    ['non-ASCII (é)', 'café'],
    ['a newline', 'a\nb'],
    ['a NUL', 'a\u0000'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\u007f'],
    ['a carriage return', 'a\rb'],
    ['an emoji', 'pay💳'],
  ]) {
    it(`rejects ${name}`, () => assertInputError(() => parseReference(value, F), F, /printable ASCII/));
  }

  it('does not echo control characters in its message', () => {
    assert.throws(
      () => parseReference('a\nb\u0000', F),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.ok(!error.message.includes('\n') && !error.message.includes('\u0000'), error.message);
        return true;
      },
    );
  });

  it('rejects a leading or trailing space', () => {
    assertInputError(() => parseReference(' a', F), F, /space/);
    assertInputError(() => parseReference('a ', F), F, /space/);
    assertInputError(() => parseReference(' ', F), F, /space/);
  });

  it('accepts whole numbers and writes them in decimal', () => {
    assert.equal(parseReference(42, F), '42');
    assert.equal(parseReference(0, F), '0');
    assert.equal(parseReference(Number.MAX_SAFE_INTEGER, F), String(Number.MAX_SAFE_INTEGER));
  });

  it('rejects numbers that are not safe non-negative integers', () => {
    for (const value of [1.5, -1, 2 ** 53, NaN, Infinity]) {
      assertInputError(() => parseReference(value, F), F, /must be text/);
    }
  });

  it('rejects objects, arrays, booleans and null', () => {
    assertInputError(() => parseReference({}, F), F, /object/);
    assertInputError(() => parseReference(['a'], F), F, /not a list/);
    assertInputError(() => parseReference(true, F), F, /not true or false/);
    assertInputError(() => parseReference(null, F), F, /null/);
  });

  it('receipt modes are exactly ON, OFF and AFTER_CONFIRMATION', () => {
    for (const mode of ['ON', 'OFF', 'AFTER_CONFIRMATION']) assert.equal(parseReceiptMode(mode, 'msg.receipt'), mode);
    for (const value of ['on', 'Off', ' ON', 'ON ', 'AFTER CONFIRMATION', 'after_confirmation', '', 'YES', null, undefined, 1, true, {}]) {
      assertInputError(() => parseReceiptMode(value, 'msg.custrcpt'), 'msg.custrcpt', /must be ON, OFF or AFTER_CONFIRMATION/);
    }
  });
});
