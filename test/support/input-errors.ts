import assert from 'node:assert/strict';
import { InputError } from '../../src/protocol';

/** Asserts that fn throws an InputError naming `field` whose message matches `rule`. */
export function assertInputError(fn: () => unknown, field: string, rule: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    assert.equal(error.field, field);
    assert.ok(error.message.startsWith(`${field} `), `message should start with the field name: ${error.message}`);
    assert.match(error.message, rule);
    return true;
  });
}
