import { Field, describeType, printable } from './amount';
import { InputError } from './input-error';

/** Receipt printing: `ON` prints, `OFF` does not, `AFTER_CONFIRMATION` asks on the terminal first. */
export type ReceiptMode = 'ON' | 'OFF' | 'AFTER_CONFIRMATION';

export const RECEIPT_MODES: readonly ReceiptMode[] = ['ON', 'OFF', 'AFTER_CONFIRMATION'];
/** What a node prints when neither it nor the message says. */
export const DEFAULT_RECEIPT_MODE: ReceiptMode = 'ON';

/** The terminal takes references of at most 50 printable ASCII characters. */
export const MAX_REFERENCE_LENGTH = 50;

/** The characters a reference may hold. */
export const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export function isReceiptMode(value: unknown): value is ReceiptMode {
  return typeof value === 'string' && (RECEIPT_MODES as readonly string[]).includes(value);
}

export function parseReceiptMode(value: unknown, field: Field): ReceiptMode {
  if (!isReceiptMode(value)) {
    throw new InputError(field, 'input.receipt', { got: typeof value === 'string' ? `"${printable(value)}"` : describeType(value) });
  }
  return value;
}

/**
 * Checks an invoice or pre-authorization code: 1 to 50 printable ASCII characters, no space at
 * either end (the terminal may trim it, and the reference would no longer match our records).
 * Whole numbers are accepted and written in decimal, since flows often count invoices.
 */
export function parseReference(value: unknown, field: Field): string {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    text = String(value);
  } else {
    throw new InputError(field, 'input.notText', { type: describeType(value) });
  }
  if (text.length === 0) throw new InputError(field, 'input.empty');
  if (text.length > MAX_REFERENCE_LENGTH) {
    throw new InputError(field, 'input.tooLong', { max: MAX_REFERENCE_LENGTH, length: text.length });
  }
  if (!PRINTABLE_ASCII.test(text)) {
    throw new InputError(field, 'input.notPrintable', { got: printable(text) });
  }
  if (text.trim() !== text) throw new InputError(field, 'input.spaceAtEnd');
  return text;
}
