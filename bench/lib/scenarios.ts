/**
 * Replies that break naive readers, delivered by a scripted server (see sim-host.ts) so each
 * break is shown by a run. Each scenario is a list of writes, each after a pause, sent in
 * answer to every request.
 */

const OK_REPLY = '<payresp>\n  <result>OK</result>\n  <ref>482113000001</ref>\n</payresp>\n';
const DECLINE_REPLY = '<payresp>\n  <result>ERROR</result>\n  <status>2</status>\n  <status_text>TRANSACTION_DECLINED</status_text>\n  <ref></ref>\n</payresp>\n';
// The app's answer to a request it cannot read; "á" is two bytes in UTF-8 (0xC3 0xA1).
const HIBAS_REPLY = Buffer.from('<payresp>\n  <result>ERROR</result>\n  <ref>Hibás XML</ref>\n</payresp>\n', 'utf8');
// The seed's completion error reply, spaces inside the tags and all.
const COMPLETION_ERROR_REPLY =
  '< preautcompletionhresp >\n  <result>ERROR</result>\n  <status>3</status>\n  <status_text>TRANSACTION_FAILED</status_text>\n  <ref></ref>\n</ preautcompletionhresp >\n';

const splitAfter = (text: string, marker: string): [string, string] => {
  const at = text.indexOf(marker) + marker.length;
  return [text.slice(0, at), text.slice(at)];
};
const [OK_HEAD, OK_TAIL] = splitAfter(OK_REPLY, '<result>OK</result>\n');
const HIBAS_CUT = HIBAS_REPLY.indexOf(0xc3) + 1; // between the two bytes of "á"

/** What a correct reader reports for a scenario's reply. */
export type Expectation = { kind: 'ok'; ref: string } | { kind: 'bad-xml'; ref: string } | { kind: 'error'; status: number } | { kind: 'unknown' };

export interface Scenario {
  name: string;
  what: string;
  writes: [string | Buffer, number][];
  expect: Expectation;
  action?: 'complete';
}

/** writes: [bytes, pause before the write in ms]. expect: what a correct reader reports. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'one-packet',
    what: 'reply in one TCP packet (the happy path)',
    writes: [[OK_REPLY, 0]],
    expect: { kind: 'ok', ref: '482113000001' },
  },
  {
    name: 'split-10ms',
    what: 'reply split in two packets 10 ms apart',
    writes: [
      [OK_HEAD, 0],
      [OK_TAIL, 10],
    ],
    expect: { kind: 'ok', ref: '482113000001' },
  },
  {
    name: 'split-100ms',
    what: 'reply split in two packets 100 ms apart (a Wi-Fi hiccup)',
    writes: [
      [OK_HEAD, 0],
      [OK_TAIL, 100],
    ],
    expect: { kind: 'ok', ref: '482113000001' },
  },
  {
    name: 'hibas-split',
    what: '"Hibás XML" reply split inside "á", 10 ms apart',
    writes: [
      [HIBAS_REPLY.subarray(0, HIBAS_CUT), 0],
      [HIBAS_REPLY.subarray(HIBAS_CUT), 10],
    ],
    expect: { kind: 'bad-xml', ref: 'Hibás XML' },
  },
  {
    name: 'completion-error',
    what: 'the seed\'s malformed "< preautcompletionhresp >" error reply',
    writes: [[COMPLETION_ERROR_REPLY, 0]],
    expect: { kind: 'error', status: 3 },
    action: 'complete',
  },
  {
    name: 'decline',
    what: 'a decline (status 2) in one packet',
    writes: [[DECLINE_REPLY, 0]],
    expect: { kind: 'error', status: 2 },
  },
  {
    name: 'twice',
    what: 'the same reply sent twice, 50 ms apart',
    writes: [
      [OK_REPLY, 0],
      [OK_REPLY, 50],
    ],
    expect: { kind: 'ok', ref: '482113000001' },
  },
  {
    name: 'silent',
    what: 'no reply at all',
    writes: [],
    expect: { kind: 'unknown' },
  },
];

/** Payloads for the hostile-reply test: 10 MB that never completes a message. */
export function hostilePayload(kind: string, bytes: number): Buffer {
  switch (kind) {
    case 'long-text':
      return Buffer.concat([Buffer.from('<payresp>\n  <ref>'), Buffer.alloc(bytes, 'A')]);
    case 'open-attribute':
      return Buffer.concat([Buffer.from('<payresp note="'), Buffer.alloc(bytes, 'A')]);
    case 'many-elements':
      return Buffer.concat([Buffer.from('<payresp>'), Buffer.alloc(bytes, '<x>1</x>')]);
    case 'whitespace':
      return Buffer.alloc(bytes, ' ');
    default:
      throw new Error(`unknown hostile payload ${kind}`);
  }
}

export const HOSTILE_KINDS = ['long-text', 'open-attribute', 'many-elements', 'whitespace'];
