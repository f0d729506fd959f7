/** The protocol layer on its own: the reading of replies and the results made of them. No sockets, no timers. */
import assert from 'node:assert/strict';
import { ACTIONS, interpretReply, MESSAGES, render, resultFromReply, XmlFramer } from '../src/protocol';
import type { Action, TransactionFailure, TransactionResult } from '../src/protocol';
import { request } from './support/request-drafts';
import { asFailure } from './support/results';
import { SEED, SEED_BY_ACTION } from './support/seed-replies';

/** A valid request for each action, so results can be checked field by field. */
function sampleRequest(action: Action) {
  switch (action) {
    case 'pay':
    case 'refund':
    case 'preauth':
      return request(action, { amount: '12.50', invoice: 'INV-42' });
    case 'complete':
      return request(action, { amount: '10.00', preauthcode: 'PA-7' });
    case 'cancel':
      return request(action, { preauthcode: 'PA-7' });
  }
}

/** The request's own fields as every result about it must carry them. */
function requestFields(action: Action): Pick<TransactionResult, 'action' | 'invoice' | 'amount' | 'preauthcode'> {
  switch (action) {
    case 'pay':
    case 'refund':
    case 'preauth':
      return { action, invoice: 'INV-42', amount: '12.50' };
    case 'complete':
      return { action, amount: '10.00', preauthcode: 'PA-7' };
    case 'cancel':
      return { action, preauthcode: 'PA-7' };
  }
}

const UNKNOWN_ADVICE = /check the terminal.*before trying again/i;

function resultFor(frame: Uint8Array | string, action: Action): TransactionResult {
  return resultFromReply(sampleRequest(action), interpretReply(frame, action));
}

function failureFor(frame: Uint8Array | string, action: Action): TransactionFailure {
  return asFailure(resultFor(frame, action));
}

type FailureFields = Pick<TransactionFailure, 'ref' | 'status' | 'statusName' | 'statusText' | 'code' | 'outcome'>;

function assertFailureShape(result: TransactionResult, action: Action, expected: FailureFields): string {
  assert.deepEqual(
    Object.keys(result).sort(),
    [...Object.keys(requestFields(action)), 'result', 'ref', 'status', 'statusName', 'statusText', 'code', 'outcome', 'message', 'messageKey', 'messageParams'].sort(),
  );
  assert.equal(Object.keys(result)[0], 'message', "the person's sentence comes first, where Node-RED's debug preview shows it");
  const { message, messageKey, messageParams, ...rest } = asFailure(result);
  assert.deepEqual(rest, { ...requestFields(action), result: 'ERROR', ...expected });
  assert.equal(typeof message, 'string');
  assert.ok(Object.hasOwn(MESSAGES, messageKey), `${messageKey} is a key of MESSAGES`);
  assert.ok(message.startsWith(render({ key: messageKey, params: messageParams })), 'the message is its key and values in English');
  if (expected.outcome === 'unknown') assert.match(message, UNKNOWN_ADVICE);
  else assert.doesNotMatch(message, UNKNOWN_ADVICE);
  return message;
}

function assertProtocol(frame: Uint8Array | string, action: Action, reasonPattern?: RegExp): TransactionResult {
  const verdict = interpretReply(frame, action);
  assert.ok(verdict.kind === 'unreadable', `expected unreadable, got ${JSON.stringify(verdict)}`);
  if (reasonPattern) assert.match(verdict.reason, reasonPattern);
  const result = resultFromReply(sampleRequest(action), verdict);
  assertFailureShape(result, action, {
    ref: '',
    status: null,
    statusName: null,
    statusText: null,
    code: 'PROTOCOL',
    outcome: 'unknown',
  });
  return result;
}

describe('protocol: replies', () => {
  describe('every seed reply, verbatim', () => {
    for (const action of ACTIONS) {
      it(`${action}: success`, () => {
        const xml = SEED_BY_ACTION[action].ok;
        assert.deepEqual(interpretReply(xml, action), { kind: 'ok', ref: 'REF' });
        assert.deepEqual(interpretReply(Buffer.from(xml, 'utf8'), action), { kind: 'ok', ref: 'REF' });
        assert.deepEqual(resultFor(xml, action), { ...requestFields(action), result: 'OK', ref: 'REF' });
      });

      it(`${action}: error with status 3`, () => {
        const xml = SEED_BY_ACTION[action].error;
        assert.deepEqual(interpretReply(xml, action), { kind: 'declined', ref: '', status: 3, statusText: 'TRANSACTION_FAILED' });
        const message = assertFailureShape(resultFor(xml, action), action, {
          ref: '',
          status: 3,
          statusName: 'TRANSACTION_FAILED',
          statusText: 'TRANSACTION_FAILED',
          code: 'TERMINAL',
          outcome: 'failed',
        });
        // In words, not the terminal's constant: the status stays in the machine fields.
        assert.match(message, /^The terminal reports that it failed: check its transaction history/);
        assert.doesNotMatch(message, /TRANSACTION_FAILED/);
      });

      it(`${action}: the Hibás XML answer (always payresp) is BAD_XML / failed`, () => {
        assert.deepEqual(interpretReply(SEED.badXml, action), { kind: 'bad-xml', ref: 'Hibás XML' });
        const message = assertFailureShape(resultFor(SEED.badXml, action), action, {
          ref: 'Hibás XML',
          status: null,
          statusName: null,
          statusText: null,
          code: 'BAD_XML',
          outcome: 'failed',
        });
        assert.match(message, /could not read/);
      });

      it(`${action}: replies of the other actions are PROTOCOL / unknown`, () => {
        for (const other of ACTIONS) {
          if (other === action) continue;
          for (const kind of ['ok', 'error'] as const) {
            const xml = SEED_BY_ACTION[other][kind];
            assertProtocol(xml, action, /does not belong/);
          }
        }
      });
    }
  });

  describe('corrected spellings', () => {
    it('preauthcompletionresp answers a completion', () => {
      const ok = '<preauthcompletionresp><result>OK</result><ref>C1</ref></preauthcompletionresp>';
      assert.deepEqual(interpretReply(ok, 'complete'), { kind: 'ok', ref: 'C1' });
      const err = '<preauthcompletionresp><result>ERROR</result><status>7</status><status_text>INVALID_AMOUNT</status_text><ref></ref></preauthcompletionresp>';
      assertFailureShape(resultFor(err, 'complete'), 'complete', {
        ref: '',
        status: 7,
        statusName: 'INVALID_AMOUNT',
        statusText: 'INVALID_AMOUNT',
        code: 'TERMINAL',
        outcome: 'failed',
      });
      assertProtocol(ok, 'cancel');
      assertProtocol(ok, 'preauth');
    });

    it('preauthcancelresp answers a cancellation', () => {
      const ok = '<preauthcancelresp><result>OK</result><ref>X1</ref></preauthcancelresp>';
      assert.deepEqual(interpretReply(ok, 'cancel'), { kind: 'ok', ref: 'X1' });
      const err = '<preauthcancelresp >\n<result>ERROR</result><status>5</status><status_text>NO_DATA_FOUND</status_text><ref/></preauthcancelresp >';
      assertFailureShape(resultFor(err, 'cancel'), 'cancel', {
        ref: '',
        status: 5,
        statusName: 'NO_DATA_FOUND',
        statusText: 'NO_DATA_FOUND',
        code: 'TERMINAL',
        outcome: 'failed',
      });
      assertProtocol(ok, 'complete');
    });

    it('the malformed completion error reply, also with a success inside it', () => {
      const ok = '< preautcompletionhresp >\n<result>OK</result>\n<ref>77</ref>\n</ preautcompletionhresp >';
      assert.deepEqual(interpretReply(ok, 'complete'), { kind: 'ok', ref: '77' });
      const okSpaced = '<preautcompletionresp >\n<result>OK</result>\n<ref>78</ref>\n</preautcompletionresp >';
      assert.deepEqual(interpretReply(okSpaced, 'complete'), { kind: 'ok', ref: '78' });
    });
  });

  describe('layout the app may use', () => {
    it('an XML declaration, CRLF line breaks, blank lines and padded values', () => {
      const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<payresp>\r\n\r\n  <result> OK </result>\r\n\t<ref>\r\n 000123 \r\n</ref>\r\n</payresp>\r\n';
      assert.deepEqual(interpretReply(xml, 'pay'), { kind: 'ok', ref: '000123' });
    });

    it('a UTF-8 byte order mark', () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SEED.payOk)]);
      assert.deepEqual(interpretReply(bytes, 'pay'), { kind: 'ok', ref: 'REF' });
    });

    it('keeps leading zeros in the ref (it is text, not a number)', () => {
      assert.deepEqual(interpretReply('<payresp><result>OK</result><ref>000123</ref></payresp>', 'pay'), { kind: 'ok', ref: '000123' });
      assert.deepEqual(interpretReply('<payresp><result>OK</result><ref>1e5</ref></payresp>', 'pay'), { kind: 'ok', ref: '1e5' });
    });

    it('an OK without <ref> gives an empty ref', () => {
      assert.deepEqual(resultFor('<payresp><result>OK</result></payresp>', 'pay'), { ...requestFields('pay'), result: 'OK', ref: '' });
    });

    it('lowercase result', () => {
      assert.deepEqual(interpretReply('<refundresp><result>ok</result><ref>9</ref></refundresp>', 'refund'), { kind: 'ok', ref: '9' });
    });
  });

  describe('status and status_text', () => {
    const NAMES = ['TRANSACTION_SUCCESS', 'TRANSACTION_CANCELED', 'TRANSACTION_DECLINED', 'TRANSACTION_FAILED', 'DEVICE_NOT_ACTIVATED', 'NO_DATA_FOUND', 'INVALID_CURRENCY', 'INVALID_AMOUNT'];
    NAMES.forEach((name, status) => {
      if (status === 0) return; // ERROR with TRANSACTION_SUCCESS contradicts itself: below
      it(`status ${status} -> ${name}`, () => {
        const xml = `<payresp><result>ERROR</result><status>${status}</status><status_text>text ${status}</status_text><ref></ref></payresp>`;
        assertFailureShape(resultFor(xml, 'pay'), 'pay', {
          ref: '',
          status,
          statusName: name,
          statusText: `text ${status}`,
          code: 'TERMINAL',
          outcome: 'failed',
        });
      });
    });

    it('an answer that contradicts itself is PROTOCOL / unknown, never a decline or an approval: ERROR with status 0, OK with a failure status', () => {
      const errorSuccess = failureFor('<payresp><result>ERROR</result><status>0</status><status_text>TRANSACTION_SUCCESS</status_text><ref></ref></payresp>', 'pay');
      assertFailureShape(errorSuccess, 'pay', { ref: '', status: 0, statusName: 'TRANSACTION_SUCCESS', statusText: 'TRANSACTION_SUCCESS', code: 'PROTOCOL', outcome: 'unknown' });
      assert.match(errorSuccess.message, /contradicts itself: ERROR with status 0/);
      const okFailed = failureFor('<refundresp><result>OK</result><status>3</status><status_text>TRANSACTION_FAILED</status_text><ref>R7</ref></refundresp>', 'refund');
      assertFailureShape(okFailed, 'refund', { ref: 'R7', status: 3, statusName: 'TRANSACTION_FAILED', statusText: 'TRANSACTION_FAILED', code: 'PROTOCOL', outcome: 'unknown' });
      assert.match(okFailed.message, /contradicts itself: OK with status 3/);
      // OK with status 0 agrees with itself.
      assert.deepEqual(interpretReply('<payresp><result>OK</result><status>0</status><ref>R8</ref></payresp>', 'pay'), { kind: 'ok', ref: 'R8' });
    });

    it('an unknown status keeps its number and has no name', () => {
      const xml = '<refundresp><result>ERROR</result><status>42</status><status_text>SOMETHING_NEW</status_text><ref>r</ref></refundresp>';
      const message = assertFailureShape(resultFor(xml, 'refund'), 'refund', {
        ref: 'r',
        status: 42,
        statusName: null,
        statusText: 'SOMETHING_NEW',
        code: 'TERMINAL',
        outcome: 'failed',
      });
      assert.match(message, /^Not approved by the terminal \(status 42\)\.$/);
    });

    it('status_text is carried verbatim, with entities decoded', () => {
      const xml = '<payresp><result>ERROR</result><status>2</status><status_text>Kártya elutasítva &amp; &lt;PIN&gt; &quot;x&quot; &apos;y&apos; &#233;&#x41;</status_text><ref></ref></payresp>';
      const result = failureFor(xml, 'pay');
      assert.equal(result.statusText, 'Kártya elutasítva & <PIN> "x" \'y\' éA');
      assert.equal(result.statusName, 'TRANSACTION_DECLINED');
      assert.equal(result.status, 2);
    });

    it("status_text is not mapped from the status: the terminal's own words are kept", () => {
      const xml = '<payresp><result>ERROR</result><status>2</status><status_text>Card expired</status_text><ref></ref></payresp>';
      const result = failureFor(xml, 'pay');
      assert.equal(result.statusText, 'Card expired');
      assert.equal(result.statusName, 'TRANSACTION_DECLINED');
      assert.equal(result.message, 'Card declined by the bank. The terminal says: "Card expired".');
    });

    it('an error without status_text has statusText null and says the status in words', () => {
      const result = failureFor('<payresp><result>ERROR</result><status>1</status><ref></ref></payresp>', 'pay');
      assert.equal(result.statusText, null);
      assert.equal(result.statusName, 'TRANSACTION_CANCELED');
      assert.equal(result.message, 'Cancelled on the terminal, by the customer or staff.');
    });

    it('a status with leading zeros or padding is read as a number', () => {
      assert.equal(failureFor('<payresp><result>ERROR</result><status> 007 </status><ref></ref></payresp>', 'pay').status, 7);
    });

    it('CDATA content is carried literally: no entity decoding, no change to "< "', () => {
      const cases = [
        ['<![CDATA[PIN < 4 digits]]>', 'PIN < 4 digits'],
        ['<![CDATA[&amp;]]>', '&amp;'],
        ['<![CDATA[R&D;]]>', 'R&D;'],
      ];
      for (const [raw, text] of cases) {
        const xml = `<payresp><result>ERROR</result><status>2</status><status_text>${raw}</status_text><ref></ref></payresp>`;
        assert.deepEqual(interpretReply(xml, 'pay'), { kind: 'declined', ref: '', status: 2, statusText: text }, raw);
      }
    });

    it('character references to characters XML forbids (&#0;, &#1;) are not accepted', () => {
      for (const ref of ['&#0;', '&#x1;', 'A&#27;B']) {
        const verdict = interpretReply(`<payresp><result>OK</result><ref>${ref}</ref></payresp>`, 'pay');
        assert.equal(verdict.kind, 'unreadable', `${ref} gave ${JSON.stringify(verdict)}`);
      }
    });

    it('a status_text with a multi-byte character split across chunks is decoded whole', () => {
      const xml = Buffer.from('<payresp><result>ERROR</result><status>2</status><status_text>Hibás kártya</status_text><ref></ref></payresp>', 'utf8');
      const framer = new XmlFramer();
      const frames: Buffer[] = [];
      for (let i = 0; i < xml.length; i++) frames.push(...framer.push(xml.subarray(i, i + 1)));
      assert.equal(frames.length, 1);
      assert.equal(failureFor(frames[0], 'pay').statusText, 'Hibás kártya');
    });
  });

  describe('Hibás XML', () => {
    it('is recognised in any Unicode normalisation and case', () => {
      for (const ref of ['Hibás XML', 'Hiba\u0301s XML', 'hibás xml', 'HIBÁS XML']) {
        const xml = `<payresp><result>ERROR</result><ref>${ref}</ref></payresp>`;
        for (const action of ACTIONS) assert.equal(interpretReply(xml, action).kind, 'bad-xml', `${ref} / ${action}`);
      }
    });

    it("from the action's own reply root is BAD_XML too", () => {
      const xml = '<refundresp><result>ERROR</result><ref>Hibás XML</ref></refundresp>';
      assert.equal(interpretReply(xml, 'refund').kind, 'bad-xml');
    });

    it('from the root of another action (not payresp) is PROTOCOL', () => {
      assertProtocol('<refundresp><result>ERROR</result><ref>Hibás XML</ref></refundresp>', 'pay', /does not belong/);
      assertProtocol('<preauthresp><result>ERROR</result><ref>Hibás XML</ref></preauthresp>', 'cancel', /does not belong/);
    });

    it('with result OK it is a success, not BAD_XML', () => {
      assert.deepEqual(interpretReply('<payresp><result>OK</result><ref>Hibás XML</ref></payresp>', 'pay'), { kind: 'ok', ref: 'Hibás XML' });
      // and from payresp to another action it is then just a wrong root
      assertProtocol('<payresp><result>OK</result><ref>Hibás XML</ref></payresp>', 'refund');
    });
  });

  describe('answers that cannot be understood are PROTOCOL / unknown', () => {
    it('a wrong root', () => {
      assertProtocol('<foo><result>OK</result><ref>1</ref></foo>', 'pay', /does not belong/);
      assertProtocol('<pay><result>OK</result><ref>1</ref></pay>', 'pay', /does not belong/);
    });

    it('a missing result', () => {
      assertProtocol('<payresp><ref>1</ref></payresp>', 'pay', /no <result>/);
      assertProtocol('<payresp></payresp>', 'pay', /no <result>/);
      assertProtocol('<payresp/>', 'pay', /no <result>/);
    });

    it('an unexpected result', () => {
      assertProtocol('<payresp><result>MAYBE</result><ref>1</ref></payresp>', 'pay', /unexpected <result>/);
      assertProtocol('<payresp><result></result><ref>1</ref></payresp>', 'pay');
    });

    it('a duplicated <result> (the two could disagree)', () => {
      assertProtocol('<payresp><result>OK</result><result>ERROR</result><ref>1</ref></payresp>', 'pay', /more than once/);
      assertProtocol('<payresp><result>OK</result><result>OK</result><ref>1</ref></payresp>', 'pay', /more than once/);
      assertProtocol('<payresp><result>OK</result><ref>1</ref><ref>2</ref></payresp>', 'pay', /more than once/);
    });

    it('__proto__ and constructor element names, without polluting any prototype', () => {
      const names = ['__proto__', 'constructor', 'prototype'];
      for (const name of names) {
        for (const xml of [
          `<payresp><result>OK</result><ref>1</ref><${name}>x</${name}></payresp>`,
          `<payresp><${name}><polluted>yes</polluted></${name}><result>OK</result><ref>1</ref></payresp>`,
          `<${name}><result>OK</result><ref>1</ref></${name}>`,
        ]) {
          const verdict = interpretReply(xml, 'pay');
          assert.notEqual(verdict.kind, 'ok', xml);
          assert.equal(asFailure(resultFromReply(sampleRequest('pay'), verdict)).outcome, 'unknown', xml);
        }
      }
      assert.equal(Reflect.get({}, 'polluted'), undefined);
      assert.equal(Reflect.get(Object.prototype, 'polluted'), undefined);
    });

    it('a <result> nested inside another element is not taken as the result', () => {
      assertProtocol('<payresp><ref><result>OK</result></ref></payresp>', 'pay');
      assertProtocol('<payresp><x><result>OK</result></x><ref>1</ref></payresp>', 'pay');
    });

    it('DOCTYPE, entity declarations and the billion laughs', () => {
      const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<payresp><result>OK</result><ref>&lol4;</ref></payresp>`;
      assertProtocol(laughs, 'pay', /DOCTYPE/);
      assertProtocol('<!DOCTYPE payresp><payresp><result>OK</result><ref>1</ref></payresp>', 'pay', /DOCTYPE/);
      assertProtocol('<!doctype payresp><payresp><result>OK</result><ref>1</ref></payresp>', 'pay', /DOCTYPE/);
      assertProtocol('<payresp><result>OK</result><ref>&xxe;</ref></payresp>', 'pay', /entity/);
      assertProtocol('<payresp><result>OK</result><ref>&#xD800;</ref></payresp>', 'pay', /entity/);
    });

    it('invalid UTF-8 bytes', () => {
      const make = (bytes: number[]) =>
        Buffer.concat([Buffer.from('<payresp><result>ERROR</result><status>2</status><status_text>'), Buffer.from(bytes), Buffer.from('</status_text><ref></ref></payresp>')]);
      assertProtocol(make([0xff, 0xfe]), 'pay', /UTF-8/);
      assertProtocol(make([0xc3]), 'pay', /UTF-8/); // truncated sequence
      assertProtocol(make([0xed, 0xa0, 0x80]), 'pay', /UTF-8/); // encoded surrogate
      assertProtocol(make([0xc0, 0xaf]), 'pay', /UTF-8/); // overlong
    });

    it('truncated, doubled or trailing-garbage documents', () => {
      assertProtocol('<payresp><result>OK</result><ref>1</ref>', 'pay', /malformed/);
      assertProtocol('<payresp><result>OK</result><ref>1</ref></payresp><payresp><result>OK</result></payresp>', 'pay');
      assertProtocol('<payresp><result>OK</result><ref>1</ref></payresp>junk', 'pay');
      assertProtocol('<payresp><result>OK</ref></result></payresp>', 'pay');
      assertProtocol('', 'pay');
      assertProtocol('not xml', 'pay');
    });

    it('loose text or child elements where text belongs', () => {
      assertProtocol('<payresp>stray<result>OK</result><ref>1</ref></payresp>', 'pay', /loose text/);
      assertProtocol('<payresp><result>OK</result><ref><b>1</b></ref></payresp>', 'pay', /text only/);
    });
  });

  describe('result objects', () => {
    it('a success carries exactly action, result, ref and the request fields', () => {
      for (const action of ACTIONS) {
        const result = resultFor(SEED_BY_ACTION[action].ok, action);
        assert.deepEqual(Object.keys(result).sort(), [...Object.keys(requestFields(action)), 'result', 'ref'].sort());
      }
    });

    it('a TERMINAL failure without status has status, statusName and statusText null', () => {
      assertFailureShape(resultFor('<payresp><result>ERROR</result><ref></ref></payresp>', 'pay'), 'pay', {
        ref: '',
        status: null,
        statusName: null,
        statusText: null,
        code: 'TERMINAL',
        outcome: 'failed',
      });
    });

    it('the ref of a failure is carried', () => {
      const result = failureFor('<payresp><result>ERROR</result><status>2</status><status_text>DECLINED</status_text><ref>R-77</ref></payresp>', 'pay');
      assert.equal(result.ref, 'R-77');
      assert.equal(result.code, 'TERMINAL');
    });

    it('every unknown outcome tells the user to check the terminal before trying again', () => {
      for (const action of ACTIONS) {
        const result = failureFor('<garbage/>', action);
        assert.equal(result.outcome, 'unknown');
        assert.match(result.message, UNKNOWN_ADVICE);
        assert.match(result.message, /may have gone through/);
      }
    });
  });
});
