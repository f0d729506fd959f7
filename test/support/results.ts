import assert from 'node:assert/strict';
import type { TransactionFailure, TransactionResult } from '../../src/protocol';

/** The result, which must be a failure (to read the fields only a failure has). */
export function asFailure(result: TransactionResult): TransactionFailure {
  assert.ok(result.result === 'ERROR', `expected a failure, got ${JSON.stringify(result)}`);
  return result;
}
