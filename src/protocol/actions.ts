/**
 * The five things a Payment Interface app can be asked to do, and how each is spelled on the wire.
 * Reply names keep the app's own spellings (`preautcompletionresp`, `preautcancelresp`, the
 * malformed `< preautcompletionhresp >`) next to the corrected ones, because real terminals send them.
 */

export type Action = 'pay' | 'refund' | 'preauth' | 'complete' | 'cancel';

export const ACTIONS: readonly Action[] = ['pay', 'refund', 'preauth', 'complete', 'cancel'];

export interface ActionSpec {
  /** Root element of the request. */
  readonly requestRoot: string;
  /** Root elements a reply to this request may have. */
  readonly replyRoots: readonly string[];
  /** Whether the request carries an invoice (a reference chosen by us). */
  readonly hasInvoice: boolean;
  /** Whether the request carries an amount. */
  readonly hasAmount: boolean;
  /** Whether the request names an earlier pre-authorization by its code. */
  readonly hasPreauthCode: boolean;
  /** Words for status texts and messages. */
  readonly noun: string;
}

export const ACTION_SPECS: Readonly<Record<Action, ActionSpec>> = {
  pay: {
    requestRoot: 'pay',
    replyRoots: ['payresp'],
    hasInvoice: true,
    hasAmount: true,
    hasPreauthCode: false,
    noun: 'payment',
  },
  refund: {
    requestRoot: 'refund',
    replyRoots: ['refundresp'],
    hasInvoice: true,
    hasAmount: true,
    hasPreauthCode: false,
    noun: 'refund',
  },
  preauth: {
    requestRoot: 'preauth',
    replyRoots: ['preauthresp'],
    hasInvoice: true,
    hasAmount: true,
    hasPreauthCode: false,
    noun: 'pre-authorization',
  },
  complete: {
    requestRoot: 'preauthcompletion',
    replyRoots: ['preautcompletionresp', 'preautcompletionhresp', 'preauthcompletionresp'],
    hasInvoice: false,
    hasAmount: true,
    hasPreauthCode: true,
    noun: 'pre-authorization completion',
  },
  cancel: {
    requestRoot: 'preauthcancel',
    replyRoots: ['preautcancelresp', 'preauthcancelresp'],
    hasInvoice: false,
    hasAmount: false,
    hasPreauthCode: true,
    noun: 'pre-authorization cancellation',
  },
};

/** The app answers any request it cannot read with this root, whatever the request was. */
export const BAD_XML_REPLY_ROOT = 'payresp';

export function actionForRequestRoot(root: string): Action | undefined {
  return ACTIONS.find((action) => ACTION_SPECS[action].requestRoot === root);
}
