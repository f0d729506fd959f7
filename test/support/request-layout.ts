import type { Action } from '../../src';

/** The child elements of each request, in order, as the seed shows them: the tests' own oracle. */
export const CHILDREN: Readonly<Record<Action, readonly string[]>> = {
  pay: ['invoice', 'sum', 'receipt', 'custrcpt'],
  refund: ['invoice', 'sum', 'receipt', 'custrcpt'],
  preauth: ['invoice', 'sum', 'receipt', 'custrcpt'],
  complete: ['preauthcode', 'sum', 'receipt', 'custrcpt'],
  cancel: ['preauthcode', 'receipt', 'custrcpt'],
};
