import { randomUUID } from 'node:crypto';
import { ACTION_SPECS, Action, actionForRequestRoot } from './actions';
import { Amount, Field, checkMaxAmount, parseAmount } from './amount';
import { ReceiptMode, parseReceiptMode, parseReference } from './fields';
import { InputError } from './input-error';
import { FlatDocument, XmlFormatError, escapeXmlText } from './xml';

/** A request that passed every input rule and can go on the wire. */
export interface TerminalRequest {
  readonly action: Action;
  /** pay, refund, preauth, complete. */
  readonly amount?: Amount;
  /** pay, refund, preauth. */
  readonly invoice?: string;
  /** complete, cancel. */
  readonly preauthCode?: string;
  readonly receipt: ReceiptMode;
  readonly custrcpt: ReceiptMode;
}

/** A value as the user gave it, with the name of the place it came from for error messages. */
export interface Sourced {
  readonly value: unknown;
  readonly field: Field;
}

export interface RequestDraft {
  readonly action: Action;
  readonly amount?: Sourced;
  /** When its value is undefined or null, a unique invoice is generated. */
  readonly invoice?: Sourced;
  readonly preauthCode?: Sourced;
  readonly receipt: Sourced;
  readonly custrcpt: Sourced;
}

export interface AmountRules {
  readonly decimals: number;
  readonly maxAmount?: Amount;
}

/** A fresh reference for requests that came without an invoice: unique, 36 printable characters. */
export function generateInvoice(): string {
  return randomUUID();
}

/** Applies every input rule; throws InputError naming the first field that breaks one. */
export function createRequest(draft: RequestDraft, rules: AmountRules, newInvoice: () => string = generateInvoice): TerminalRequest {
  const spec = ACTION_SPECS[draft.action];
  let amount: Amount | undefined;
  if (spec.hasAmount) {
    const source = draft.amount ?? { value: undefined, field: 'amount' };
    amount = parseAmount(source.value, rules.decimals, source.field);
    checkMaxAmount(amount, rules.maxAmount, source.field);
  }
  let invoice: string | undefined;
  if (spec.hasInvoice) {
    const source = draft.invoice;
    const absent = source?.value === undefined || source.value === null;
    invoice = absent ? newInvoice() : parseReference(source.value, source.field);
  }
  let preauthCode: string | undefined;
  if (spec.hasPreauthCode) {
    const source = draft.preauthCode ?? { value: undefined, field: 'preauthcode' };
    if (source.value === undefined || source.value === null || source.value === '') {
      throw new InputError(source.field, 'input.codeMissing');
    }
    preauthCode = parseReference(source.value, source.field);
  }
  return {
    action: draft.action,
    ...(amount && { amount }),
    ...(invoice !== undefined && { invoice }),
    ...(preauthCode !== undefined && { preauthCode }),
    receipt: parseReceiptMode(draft.receipt.value, draft.receipt.field),
    custrcpt: parseReceiptMode(draft.custrcpt.value, draft.custrcpt.field),
  };
}

/**
 * What follows a request's closing tag. The seed does not say. A newline suits an app that reads
 * lines; an app that parses a stream of documents strictly rejects whitespace before the next
 * `<?xml` on a reused connection, and answers `Hibás XML` (nothing charged) if it does.
 */
export type RequestEnding = 'newline' | 'none';
export const REQUEST_ENDINGS: readonly RequestEnding[] = ['newline', 'none'];
/** An app waiting for a newline that never comes would leave the payment unknown; one that minds it answers Hibás XML. */
export const DEFAULT_REQUEST_ENDING: RequestEnding = 'newline';

/** The request as the seed shows it: declaration, fixed root and children in the seed's order. */
export function buildRequestXml(request: TerminalRequest, ending: RequestEnding = DEFAULT_REQUEST_ENDING): string {
  const spec = ACTION_SPECS[request.action];
  const children: [string, string][] = [];
  if (spec.hasInvoice) children.push(['invoice', required(request.invoice, 'invoice')]);
  if (spec.hasPreauthCode) children.push(['preauthcode', required(request.preauthCode, 'preauthCode')]);
  if (spec.hasAmount) children.push(['sum', required(request.amount, 'amount').text]);
  children.push(['receipt', request.receipt], ['custrcpt', request.custrcpt]);
  const body = children.map(([tag, value]) => `  <${tag}>${escapeXmlText(value)}</${tag}>\n`).join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<${spec.requestRoot}>\n${body}</${spec.requestRoot}>${ending === 'newline' ? '\n' : ''}`;
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new TypeError(`request has no ${name}`);
  return value;
}

/** A request as read back from the wire: what the terminal (and our simulator) sees. */
export interface ReceivedRequest {
  readonly action: Action;
  readonly invoice?: string;
  readonly preauthCode?: string;
  /** The `<sum>` text exactly as sent. */
  readonly sum?: string;
  readonly receipt?: string;
  readonly custrcpt?: string;
}

export function readRequest(document: FlatDocument): ReceivedRequest {
  const action = actionForRequestRoot(document.root);
  if (!action) throw new XmlFormatError(`unknown request <${document.root}>`);
  const field = (name: string) => document.fields.get(name);
  return {
    action,
    ...optional('invoice', field('invoice')),
    ...optional('preauthCode', field('preauthcode')),
    ...optional('sum', field('sum')),
    ...optional('receipt', field('receipt')),
    ...optional('custrcpt', field('custrcpt')),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
