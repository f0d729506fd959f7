import type { Action } from '../../src/protocol';

// The seed's replies, verbatim (indentation and the stray spaces in the closing tags included).
export const SEED = {
  payOk: `<payresp>
  <result>OK</result>
  <ref>REF</ref>
</payresp>`,
  payError: `<payresp>
  <result>ERROR</result>
  <status>3</status>
  <status_text>TRANSACTION_FAILED</status_text>
  <ref></ref>
</payresp>`,
  refundOk: `<refundresp>
  <result>OK</result>
  <ref>REF</ref>
</refundresp>`,
  refundError: `<refundresp>
  <result>ERROR</result>
  <status>3</status>
  <status_text>TRANSACTION_FAILED</status_text>
  <ref></ref>
</refundresp>`,
  preauthOk: `<preauthresp>
  <result>OK</result>
  <ref>REF</ref>
</preauthresp>`,
  preauthError: `<preauthresp>
  <result>ERROR</result>
  <status>3</status>
  <status_text>TRANSACTION_FAILED</status_text>
  <ref></ref>
</preauthresp>`,
  completeOk: `<preautcompletionresp>
  <result>OK</result>
  <ref>REF</ref>
</preautcompletionresp >`,
  completeError: `< preautcompletionhresp >
  <result>ERROR</result>
  <status>3</status>
  <status_text>TRANSACTION_FAILED</status_text>
  <ref></ref>
</ preautcompletionhresp >`,
  cancelOk: `<preautcancelresp>
  <result>OK</result>
  <ref>REF</ref>
</preautcancelresp >`,
  cancelError: `<preautcancelresp>
  <result>ERROR</result>
  <status>3</status>
  <status_text>TRANSACTION_FAILED</status_text>
  <ref></ref>
</preautcancelresp >`,
  badXml: `<payresp>
  <result>ERROR</result>
  <ref>Hibás XML</ref>
</payresp>`,
} as const;

/** The success and the error reply of each action, as the seed shows them. */
export const SEED_BY_ACTION: Readonly<Record<Action, { readonly ok: string; readonly error: string }>> = {
  pay: { ok: SEED.payOk, error: SEED.payError },
  refund: { ok: SEED.refundOk, error: SEED.refundError },
  preauth: { ok: SEED.preauthOk, error: SEED.preauthError },
  complete: { ok: SEED.completeOk, error: SEED.completeError },
  cancel: { ok: SEED.cancelOk, error: SEED.cancelError },
};
