import { InputError } from './input-error';
import { Explanation, MessageParam, explain } from './messages';

/** Where a value came from: a message property (`msg.payload`) or, in words, a node setting. */
export type Field = string | Explanation;

/**
 * Amount rules. The wire wants major units with a dot and exactly `decimals` digits (`12.50`).
 * Amounts are held as integer minor units so that floating point never reaches the wire.
 */

export interface Amount {
  /** As sent on the wire, e.g. `12.50`. */
  readonly text: string;
  /** In minor units, e.g. 1250n. */
  readonly minor: bigint;
}

export const MIN_DECIMALS = 0;
export const MAX_DECIMALS = 4;
/** No terminal takes a trillion; a bound keeps absurd input out of the arithmetic. */
export const MAX_INTEGER_DIGITS = 12;
/** Doubles hold any 15-digit decimal exactly, so this recovers what a number was typed as. */
const NUMBER_SIGNIFICANT_DIGITS = 15;

/** Longer than any amount written out: 12 digits, a point, 4 decimals, and room for zeros and spaces. */
const MAX_AMOUNT_TEXT = 40;

/** An amount as written: digits, then optionally a dot and more digits (whole part, fraction). */
export const DECIMAL_PATTERN = /^([0-9]+)(?:\.([0-9]+))?$/;

export function checkDecimals(decimals: unknown): number {
  if (typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < MIN_DECIMALS || decimals > MAX_DECIMALS) {
    throw new InputError(explain('field.decimals'), 'input.decimals', { min: MIN_DECIMALS, max: MAX_DECIMALS });
  }
  return decimals;
}

/**
 * Reads an amount from a number (`12.5`) or a decimal string (`"12.50"`).
 * `field` names the source in error messages.
 */
export function parseAmount(input: unknown, decimals: number, field: Field = 'msg.payload'): Amount {
  checkDecimals(decimals);
  const text = amountInputToDecimalText(input, field);
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) throw new InputError(field, 'input.amountFormat', { got: printable(text) });
  const integerDigits = match[1].replace(/^0+(?=[0-9])/, '');
  const fraction = ((match[2] as string | undefined) ?? '').replace(/0+$/, '');
  if (integerDigits.length > MAX_INTEGER_DIGITS) {
    throw new InputError(field, 'input.amountTooLarge', { digits: MAX_INTEGER_DIGITS });
  }
  if (fraction.length > decimals) {
    throw new InputError(field, 'input.amountTooPrecise', { decimals });
  }
  const minor = BigInt(integerDigits + fraction.padEnd(decimals, '0'));
  if (minor <= 0n) throw new InputError(field, 'input.notPositive');
  return { text: formatMinor(minor, decimals), minor };
}

/** Checks an amount against an optional safety limit (already parsed with the same decimals). */
export function checkMaxAmount(amount: Amount, maxAmount: Amount | undefined, field: Field = 'msg.payload'): void {
  if (maxAmount && amount.minor > maxAmount.minor) {
    throw new InputError(field, 'input.aboveLimit', { amount: { amount: amount.text }, limit: { amount: maxAmount.text } });
  }
}

/**
 * Compares two amounts written as decimals (`50.50`, `50`), whatever the decimals setting: 1 when
 * `a` is larger, -1 when smaller, 0 when equal, undefined when either is not a plain decimal.
 * For amounts read back from the journal, which may predate a change of the decimals setting.
 */
export function compareAmounts(a: string, b: string): -1 | 0 | 1 | undefined {
  const left = DECIMAL_PATTERN.exec(a.trim());
  const right = DECIMAL_PATTERN.exec(b.trim());
  if (!left || !right) return undefined;
  // The fraction is an optional group: undefined when there is none, whatever the type says.
  const fractionOf = (match: RegExpExecArray) => (match[2] as string | undefined) ?? '';
  const scale = Math.max(fractionOf(left).length, fractionOf(right).length);
  const scaled = (match: RegExpExecArray) => BigInt(match[1] + fractionOf(match).padEnd(scale, '0'));
  const difference = scaled(left) - scaled(right);
  return difference > 0n ? 1 : difference < 0n ? -1 : 0;
}

export function formatMinor(minor: bigint, decimals: number): string {
  if (decimals === 0) return minor.toString();
  const digits = minor.toString().padStart(decimals + 1, '0');
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

function amountInputToDecimalText(input: unknown, field: Field): string {
  if (input === undefined || input === null || input === '') throw new InputError(field, 'input.amountMissing');
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new InputError(field, 'input.notFinite', { got: String(input) });
    if (input <= 0) throw new InputError(field, 'input.notPositive');
    const typed = input.toPrecision(NUMBER_SIGNIFICANT_DIGITS);
    if (typed.includes('e')) {
      throw new InputError(field, input >= 1 ? 'input.numberTooLarge' : 'input.numberTooPrecise');
    }
    return typed;
  }
  if (typeof input === 'string') {
    // Checked before any pattern runs, so a huge string costs nothing.
    if (input.length > MAX_AMOUNT_TEXT) throw new InputError(field, 'input.amountTooLong', { length: input.length });
    const text = input.trim();
    if (text === '') throw new InputError(field, 'input.amountMissing');
    if (text.startsWith('-')) throw new InputError(field, 'input.notPositive');
    if (text.includes(',')) throw new InputError(field, 'input.decimalComma', { got: printable(text) });
    if (/^[0-9]*\.?[0-9]+[eE][+-]?[0-9]+$/.test(text)) throw new InputError(field, 'input.exponent', { got: printable(text) });
    return text;
  }
  throw new InputError(field, 'input.amountType', { type: describeType(input) });
}

/** What kind of value a wrong input was, in words. */
export function describeType(value: unknown): MessageParam {
  if (value === null) return explain('type.null');
  if (value === undefined) return explain('type.nothing');
  if (Array.isArray(value)) return explain('type.array');
  if (typeof value === 'object') return explain('type.object');
  if (typeof value === 'boolean') return explain('type.boolean');
  if (typeof value === 'number') return explain('type.number');
  return explain('type.other', { type: typeof value });
}

/** Quotes user text in an error message without letting it carry control characters or run on. */
export function printable(text: string, max = 40): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
