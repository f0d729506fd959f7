/** The protocol layer on its own: the request XML of each action, createRequest, hostile values. No sockets, no timers. */
import assert from 'node:assert/strict';
import { ACTIONS, buildRequestXml, createRequest, parseFlatXml, readRequest } from '../src/protocol';
import { frameAll } from './support/framing';
import { assertInputError } from './support/input-errors';
import { draft, request, RULES } from './support/request-drafts';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

describe('protocol: requests', () => {
  describe('exact XML for each action, as in the seed', () => {
    it('pay: invoice, sum, receipt, custrcpt', () => {
      const xml = buildRequestXml(request('pay', { amount: 12.5, invoice: 'INV-1', receipt: 'ON', custrcpt: 'OFF' }));
      assert.equal(
        xml,
        `${DECLARATION}
<pay>
  <invoice>INV-1</invoice>
  <sum>12.50</sum>
  <receipt>ON</receipt>
  <custrcpt>OFF</custrcpt>
</pay>
`,
      );
    });

    it('refund: invoice, sum, receipt, custrcpt', () => {
      const xml = buildRequestXml(request('refund', { amount: '3', invoice: 'R-9', receipt: 'AFTER_CONFIRMATION', custrcpt: 'ON' }));
      assert.equal(
        xml,
        `${DECLARATION}
<refund>
  <invoice>R-9</invoice>
  <sum>3.00</sum>
  <receipt>AFTER_CONFIRMATION</receipt>
  <custrcpt>ON</custrcpt>
</refund>
`,
      );
    });

    it('preauth: invoice, sum, receipt, custrcpt', () => {
      const xml = buildRequestXml(request('preauth', { amount: '100.1', invoice: 'P 1', receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' }));
      assert.equal(
        xml,
        `${DECLARATION}
<preauth>
  <invoice>P 1</invoice>
  <sum>100.10</sum>
  <receipt>OFF</receipt>
  <custrcpt>AFTER_CONFIRMATION</custrcpt>
</preauth>
`,
      );
    });

    it('complete: preauthcode, sum, receipt, custrcpt; root preauthcompletion', () => {
      const xml = buildRequestXml(request('complete', { amount: '7.5', preauthcode: '123456000001', invoice: 'ignored' }));
      assert.equal(
        xml,
        `${DECLARATION}
<preauthcompletion>
  <preauthcode>123456000001</preauthcode>
  <sum>7.50</sum>
  <receipt>ON</receipt>
  <custrcpt>OFF</custrcpt>
</preauthcompletion>
`,
      );
    });

    it('cancel: preauthcode, receipt, custrcpt; root preauthcancel; no sum', () => {
      const xml = buildRequestXml(request('cancel', { amount: '5', preauthcode: 'PA-1', invoice: 'ignored' }));
      assert.equal(
        xml,
        `${DECLARATION}
<preauthcancel>
  <preauthcode>PA-1</preauthcode>
  <receipt>ON</receipt>
  <custrcpt>OFF</custrcpt>
</preauthcancel>
`,
      );
    });

    it('honours the decimals rule in <sum>', () => {
      assert.match(buildRequestXml(createRequest(draft('pay', { amount: 12, invoice: 'a' }), { decimals: 0 })), /<sum>12<\/sum>/);
      assert.match(buildRequestXml(createRequest(draft('pay', { amount: '1.5', invoice: 'a' }), { decimals: 3 })), /<sum>1\.500<\/sum>/);
      assert.match(buildRequestXml(createRequest(draft('pay', { amount: 0.1 + 0.2, invoice: 'a' }), RULES)), /<sum>0\.30<\/sum>/);
    });
  });

  describe('createRequest', () => {
    it('returns exactly the fields each action carries', () => {
      assert.deepEqual(request('pay', { amount: '1', invoice: 'I' }), {
        action: 'pay',
        amount: { text: '1.00', minor: 100n },
        invoice: 'I',
        receipt: 'ON',
        custrcpt: 'OFF',
      });
      assert.deepEqual(request('complete', { amount: '1', preauthcode: 'C', invoice: 'I' }), {
        action: 'complete',
        amount: { text: '1.00', minor: 100n },
        preauthCode: 'C',
        receipt: 'ON',
        custrcpt: 'OFF',
      });
      assert.deepEqual(request('cancel', { amount: '1', preauthcode: 'C', invoice: 'I' }), {
        action: 'cancel',
        preauthCode: 'C',
        receipt: 'ON',
        custrcpt: 'OFF',
      });
    });

    it('generates an invoice when none is given, or when its value is undefined', () => {
      const calls: number[] = [];
      const made = createRequest(draft('pay', { amount: 1 }), RULES, () => {
        calls.push(1);
        return 'GEN-1';
      });
      assert.equal(made.invoice, 'GEN-1');
      const made2 = createRequest(draft('refund', { amount: 1, invoice: undefined }), RULES, () => 'GEN-2');
      assert.equal(made2.invoice, 'GEN-2');
      assert.equal(calls.length, 1);
      const given = createRequest(draft('preauth', { amount: 1, invoice: 'MINE' }), RULES, () => assert.fail('must not generate'));
      assert.equal(given.invoice, 'MINE');
    });

    it('generated invoices are unique and 1 to 50 printable ASCII characters', () => {
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const { invoice } = request(ACTIONS[i % 3], { amount: 1 });
        assert.ok(invoice !== undefined, 'an invoice is generated');
        assert.match(invoice, /^[\x21-\x7e](?:[\x20-\x7e]{0,48}[\x21-\x7e])?$/);
        assert.ok(!seen.has(invoice), `duplicate invoice ${invoice}`);
        seen.add(invoice);
      }
    });

    it('rejects a bad invoice instead of generating one', () => {
      assertInputError(() => request('pay', { amount: 1, invoice: '' }), 'msg.invoice', /empty/);
      assertInputError(() => request('pay', { amount: 1, invoice: 'x'.repeat(51) }), 'msg.invoice', /50/);
      assertInputError(() => request('refund', { amount: 1, invoice: 'é' }), 'msg.invoice', /printable ASCII/);
      assertInputError(() => request('preauth', { amount: 1, invoice: { a: 1 } }), 'msg.invoice', /object/);
    });

    for (const action of ['complete', 'cancel'] as const) {
      it(`${action} requires a preauthcode`, () => {
        for (const value of [undefined, null, '']) {
          assertInputError(() => request(action, { amount: 1, preauthcode: value }), 'msg.preauthcode', /missing/);
        }
        // No preauthCode source at all.
        assertInputError(() => request(action, { amount: 1 }), 'preauthcode', /missing/);
        assertInputError(() => request(action, { amount: 1, preauthcode: 'a\nb' }), 'msg.preauthcode', /printable ASCII/);
        assertInputError(() => request(action, { amount: 1, preauthcode: ' PA' }), 'msg.preauthcode', /space/);
        assertInputError(() => request(action, { amount: 1, preauthcode: 'p'.repeat(51) }), 'msg.preauthcode', /50/);
      });
    }

    for (const action of ['pay', 'refund', 'preauth', 'complete'] as const) {
      it(`${action} requires a valid amount`, () => {
        assertInputError(() => request(action, { invoice: 'I', preauthcode: 'P' }), 'msg.payload', /missing/);
        assertInputError(() => request(action, { amount: '12,50', invoice: 'I', preauthcode: 'P' }), 'msg.payload', /dot/);
      });
    }

    it('cancel ignores the amount entirely', () => {
      assert.equal(request('cancel', { amount: 'garbage', preauthcode: 'P' }).amount, undefined);
    });

    it('rejects receipt modes other than the three', () => {
      assertInputError(() => request('pay', { amount: 1, receipt: 'on' }), 'msg.receipt', /ON, OFF or AFTER_CONFIRMATION/);
      assertInputError(() => request('cancel', { preauthcode: 'P', custrcpt: 'PRINT' }), 'msg.custrcpt', /ON, OFF or AFTER_CONFIRMATION/);
    });
  });

  describe('hostile values are rejected or escaped, and round-trip exactly', () => {
    const hostile = [
      '</invoice><sum>0.01</sum>',
      '</invoice><sum>0.01</sum><invoice>x',
      ']]>',
      '<![CDATA[x]]>',
      '"quoted" \'single\'',
      '&amp; & &lt; &#x41;',
      '<?xml version="1.0"?>',
      '<!-- c -->',
      '<!DOCTYPE x>',
      '</pay><pay><invoice>1</invoice><sum>999</sum>',
      'a>b<c',
    ];

    for (const value of hostile) {
      it(`invoice ${JSON.stringify(value)}`, () => {
        const req = request('pay', { amount: '12.34', invoice: value });
        const xml = buildRequestXml(req);
        const doc = parseFlatXml(xml);
        assert.equal(doc.root, 'pay');
        assert.deepEqual([...doc.fields.keys()], ['invoice', 'sum', 'receipt', 'custrcpt']);
        assert.deepEqual(readRequest(doc), { action: 'pay', invoice: value, sum: '12.34', receipt: 'ON', custrcpt: 'OFF' });
        // The value never appears raw: every markup character is escaped.
        const inner = /<invoice>([\s\S]*)<\/invoice>/.exec(xml)?.[1];
        assert.ok(inner !== undefined, xml);
        assert.doesNotMatch(inner, /[<>"']/);
        // And the framer sees exactly one frame.
        assert.equal(frameAll([xml]).length, 1);
      });

      it(`preauthcode ${JSON.stringify(value)}`, () => {
        for (const action of ['complete', 'cancel'] as const) {
          const req = request(action, { amount: '1', preauthcode: value });
          const doc = parseFlatXml(buildRequestXml(req));
          const expectedKeys = action === 'complete' ? ['preauthcode', 'sum', 'receipt', 'custrcpt'] : ['preauthcode', 'receipt', 'custrcpt'];
          assert.deepEqual([...doc.fields.keys()], expectedKeys);
          assert.equal(readRequest(doc).preauthCode, value);
          assert.equal(readRequest(doc).action, action);
        }
      });
    }

    it('control characters never reach the XML', () => {
      for (const value of ['a\u0000b', 'a\nb', 'a\u001bb', 'a\u0085b', 'a\u2028b']) {
        assertInputError(() => request('pay', { amount: 1, invoice: value }), 'msg.invoice', /printable ASCII/);
        assertInputError(() => request('cancel', { preauthcode: value }), 'msg.preauthcode', /printable ASCII/);
      }
    });

    it('whitespace inside a reference round-trips', () => {
      const value = 'A  B   C';
      const doc = parseFlatXml(buildRequestXml(request('refund', { amount: 1, invoice: value })));
      assert.equal(readRequest(doc).invoice, value);
    });
  });
});
