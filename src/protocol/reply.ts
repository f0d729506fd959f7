import { ACTION_SPECS, Action, BAD_XML_REPLY_ROOT } from './actions';
import { FlatDocument, XmlFormatError, parseFlatXml } from './xml';

/** What a reply frame says about the request it answers. */
export type ReplyVerdict =
  | { readonly kind: 'ok'; readonly ref: string }
  | { readonly kind: 'declined'; readonly ref: string; readonly status: number | null; readonly statusText: string | null }
  | { readonly kind: 'bad-xml'; readonly ref: string }
  /** A well-formed answer that says two things at once (OK with a failure status, ERROR with status 0). */
  | { readonly kind: 'contradictory'; readonly reason: string; readonly ref: string; readonly status: number | null; readonly statusText: string | null }
  /** `ref` is there when the answer was readable XML; `root` when it was, only not an answer to this request. */
  | { readonly kind: 'unreadable'; readonly reason: string; readonly ref?: string; readonly root?: string };

/** myPOS's TRANSACTION_SUCCESS. */
const SUCCESS_STATUS = 0;

/** The app's answer to a request it could not read: `<ref>Hibás XML</ref>` ("Invalid XML"). */
const BAD_XML_REF = /^hib[aá]s\s+xml$/i;

export function interpretReply(frame: Uint8Array | string, action: Action): ReplyVerdict {
  let document: FlatDocument;
  try {
    document = parseFlatXml(frame);
  } catch (error) {
    if (error instanceof XmlFormatError) return { kind: 'unreadable', reason: error.message };
    throw error;
  }
  const { root, fields } = document;
  const result = fields.get('result')?.toUpperCase();
  const ref = fields.get('ref') ?? '';

  if (result === 'ERROR' && BAD_XML_REF.test(ref.normalize('NFC'))) {
    if (root === BAD_XML_REPLY_ROOT || ACTION_SPECS[action].replyRoots.includes(root)) return { kind: 'bad-xml', ref };
  }
  if (!ACTION_SPECS[action].replyRoots.includes(root)) {
    return { kind: 'unreadable', reason: `the answer <${root}> does not belong to a ${ACTION_SPECS[action].noun}`, ref, root };
  }
  const statusField = fields.get('status');
  const status = statusField !== undefined && /^[0-9]{1,9}$/.test(statusField) ? Number(statusField) : null;
  const statusTextField = fields.get('status_text');
  const statusText = statusTextField === undefined || statusTextField === '' ? null : statusTextField;
  // A retry after a "decline" that was really an approval charges twice: an answer that says
  // both is taken for neither.
  if (result === 'OK') {
    if (status !== null && status !== SUCCESS_STATUS) {
      return { kind: 'contradictory', reason: `it says OK with status ${status}${statusText ? ` (${statusText})` : ''}`, ref, status, statusText };
    }
    return { kind: 'ok', ref };
  }
  if (result === 'ERROR') {
    if (status === SUCCESS_STATUS) {
      return { kind: 'contradictory', reason: `it says ERROR with status ${SUCCESS_STATUS}${statusText ? ` (${statusText})` : ''}`, ref, status, statusText };
    }
    return { kind: 'declined', ref, status, statusText };
  }
  return {
    kind: 'unreadable',
    reason: result === undefined ? `<${root}> has no <result>` : `<${root}> has an unexpected <result>`,
    ref,
  };
}
