'use strict';

/**
 * The protocol layer on its own: amounts, references, receipt modes, request XML, the stream
 * framer and the reading of replies. No sockets, no timers.
 */

const assert = require('node:assert/strict');
const {
  ACTIONS,
  buildRequestXml,
  checkDecimals,
  checkMaxAmount,
  createRequest,
  formatMinor,
  FramingError,
  InputError,
  interpretReply,
  MESSAGES,
  parseAmount,
  parseFlatXml,
  parseReceiptMode,
  parseReference,
  readRequest,
  render,
  resultFromReply,
  XmlFramer,
} = require('../dist/src/protocol');

const DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

/** Asserts that fn throws an InputError naming `field` whose message matches `rule`. */
function assertInputError(fn, field, rule) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${error && error.name}: ${error && error.message}`);
    assert.equal(error.field, field);
    assert.ok(error.message.startsWith(`${field} `), `message should start with the field name: ${error.message}`);
    assert.match(error.message, rule);
    return true;
  });
}

/** A draft as the nodes build it, with fields named as the nodes name them. */
function draft(action, values = {}) {
  const d = {
    action,
    amount: { value: values.amount, field: 'msg.payload' },
    receipt: { value: values.receipt ?? 'ON', field: 'msg.receipt' },
    custrcpt: { value: values.custrcpt ?? 'OFF', field: 'msg.custrcpt' },
  };
  if ('invoice' in values) d.invoice = { value: values.invoice, field: 'msg.invoice' };
  if ('preauthcode' in values) d.preauthCode = { value: values.preauthcode, field: 'msg.preauthcode' };
  return d;
}

const RULES = { decimals: 2 };

function request(action, values = {}) {
  return createRequest(draft(action, values), RULES);
}

/** Pushes each piece through one framer and returns every frame as a string. */
function frameAll(pieces, framer = new XmlFramer()) {
  const frames = [];
  for (const piece of pieces) {
    for (const frame of framer.push(typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece)) {
      assert.ok(Buffer.isBuffer(frame), 'frames are Buffers');
      frames.push(frame.toString('utf8'));
    }
  }
  return frames;
}

// ---------------------------------------------------------------------------------------------
// The seed's replies, verbatim (indentation and the stray spaces in the closing tags included).
// ---------------------------------------------------------------------------------------------

const SEED = {
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
};

const SEED_BY_ACTION = {
  pay: { ok: SEED.payOk, error: SEED.payError },
  refund: { ok: SEED.refundOk, error: SEED.refundError },
  preauth: { ok: SEED.preauthOk, error: SEED.preauthError },
  complete: { ok: SEED.completeOk, error: SEED.completeError },
  cancel: { ok: SEED.cancelOk, error: SEED.cancelError },
};

/** A valid request for each action, so results can be checked field by field. */
function sampleRequest(action) {
  switch (action) {
    case 'pay':
    case 'refund':
    case 'preauth':
      return request(action, { amount: '12.50', invoice: 'INV-42' });
    case 'complete':
      return request(action, { amount: '10.00', preauthcode: 'PA-7' });
    case 'cancel':
      return request(action, { preauthcode: 'PA-7' });
    default:
      throw new Error(action);
  }
}

/** The request's own fields as every result about it must carry them. */
function requestFields(action) {
  switch (action) {
    case 'pay':
    case 'refund':
    case 'preauth':
      return { action, invoice: 'INV-42', amount: '12.50' };
    case 'complete':
      return { action, amount: '10.00', preauthcode: 'PA-7' };
    case 'cancel':
      return { action, preauthcode: 'PA-7' };
    default:
      throw new Error(action);
  }
}

const UNKNOWN_ADVICE = /check the terminal.*before trying again/i;

function resultFor(frame, action) {
  return resultFromReply(sampleRequest(action), interpretReply(frame, action));
}

function assertFailureShape(result, action, expected) {
  assert.deepEqual(
    Object.keys(result).sort(),
    [...Object.keys(requestFields(action)), 'result', 'ref', 'status', 'statusName', 'statusText', 'code', 'outcome', 'message', 'messageKey', 'messageParams'].sort(),
  );
  assert.equal(Object.keys(result)[0], 'message', "the person's sentence comes first, where Node-RED's debug preview shows it");
  const { message, messageKey, messageParams, ...rest } = result;
  assert.deepEqual(rest, { ...requestFields(action), result: 'ERROR', ...expected });
  assert.equal(typeof message, 'string');
  assert.ok(Object.hasOwn(MESSAGES, messageKey), `${messageKey} is a key of MESSAGES`);
  assert.ok(message.startsWith(render({ key: messageKey, params: messageParams })), 'the message is its key and values in English');
  if (expected.outcome === 'unknown') assert.match(message, UNKNOWN_ADVICE);
  else assert.doesNotMatch(message, UNKNOWN_ADVICE);
  return message;
}

function assertProtocol(frame, action, reasonPattern) {
  const verdict = interpretReply(frame, action);
  assert.equal(verdict.kind, 'unreadable', `expected unreadable, got ${JSON.stringify(verdict)}`);
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

// =============================================================================================

describe('protocol: amounts', () => {
  describe('parseAmount accepts', () => {
    const cases = [
      [12.5, 2, '12.50', 1250n],
      ['12.50', 2, '12.50', 1250n],
      ['12.5', 2, '12.50', 1250n],
      [12, 2, '12.00', 1200n],
      ['12', 2, '12.00', 1200n],
      [0.1 + 0.2, 2, '0.30', 30n],
      [1.1 + 2.2, 2, '3.30', 330n],
      [0.07 * 3, 2, '0.21', 21n],
      [123456.1 + 0.2, 2, '123456.30', 12345630n],
      ['007.50', 2, '7.50', 750n],
      ['0.01', 2, '0.01', 1n],
      [0.01, 2, '0.01', 1n],
      ['12.3000', 2, '12.30', 1230n],
      [' 12.50 ', 2, '12.50', 1250n],
      [999999999999.99, 2, '999999999999.99', 99999999999999n],
      [12, 0, '12', 12n],
      ['12', 0, '12', 12n],
      ['12.0', 0, '12', 12n],
      ['1.5', 3, '1.500', 1500n],
      [1.234, 3, '1.234', 1234n],
      ['0.001', 3, '0.001', 1n],
    ];
    for (const [input, decimals, text, minor] of cases) {
      it(`${JSON.stringify(input)} with ${decimals} decimals -> ${text}`, () => {
        assert.deepEqual(parseAmount(input, decimals), { text, minor });
      });
    }
  });

  describe('parseAmount rejects, naming the field and the rule', () => {
    const F = 'msg.payload.amount';
    const cases = [
      ['missing (undefined)', undefined, /missing/],
      ['null', null, /missing/],
      ['an empty string', '', /missing/],
      ['a blank string', '   ', /missing/],
      ['zero', 0, /greater than zero/],
      ['"0"', '0', /greater than zero/],
      ['"0.00"', '0.00', /greater than zero/],
      ['negative zero', -0, /greater than zero/],
      ['a negative number', -5, /greater than zero/],
      ['"-5"', '-5', /greater than zero/],
      ['"-0.01"', '-0.01', /greater than zero/],
      ['NaN', NaN, /finite/],
      ['Infinity', Infinity, /finite/],
      ['-Infinity', -Infinity, /finite/],
      ['"NaN"', 'NaN', /decimal number like 12\.50/],
      ['"Infinity"', 'Infinity', /decimal number like 12\.50/],
      ['"1e3"', '1e3', /exponent/],
      ['"1E3"', '1E3', /exponent/],
      ['"12,50"', '12,50', /dot as the decimal separator/],
      ['"1,000.00"', '1,000.00', /dot as the decimal separator/],
      ['"12.345" (3 decimals)', '12.345', /too many digits after the decimal point: at most 2/],
      ['12.345 as a number', 12.345, /too many digits after the decimal point: at most 2/],
      ['0.005', 0.005, /too many digits after the decimal point: at most 2/],
      ['a tiny number in exponent form', 1e-7, /too many digits after the decimal point/],
      ['a huge number', 1e21, /too large/],
      ['13 integer digits', '1234567890123', /too large/],
      ['"12."', '12.', /decimal number like 12\.50/],
      ['".5"', '.5', /decimal number like 12\.50/],
      ['"+5"', '+5', /decimal number like 12\.50/],
      ['"0x10"', '0x10', /decimal number like 12\.50/],
      ['non-ASCII digits', '١٢', /decimal number like 12\.50/],
      ['an object', { amount: 12 }, /number or a decimal text, not an object/],
      ['an array', [12], /number or a decimal text, not a list/],
      ['a boolean', true, /number or a decimal text, not true or false/],
      ['a bigint', 12n, /number or a decimal text, not a value of another kind/],
    ];
    for (const [name, input, rule] of cases) {
      it(name, () => assertInputError(() => parseAmount(input, 2, F), F, rule));
    }

    it('uses msg.payload as the default field name', () => {
      assertInputError(() => parseAmount('12,50', 2), 'msg.payload', /dot/);
    });

    it('"12 EUR" is rejected as not a decimal number, not as an exponent', () => {
      assertInputError(() => parseAmount('12 EUR', 2, F), F, /decimal number like 12\.50/);
      assertInputError(() => parseAmount('5 kr', 2, F), F, /decimal number like 12\.50/);
    });

    it('"12.5" with 0 decimals and "1.2345" with 3 decimals', () => {
      assertInputError(() => parseAmount('12.5', 0, F), F, /at most 0\./);
      assertInputError(() => parseAmount('1.2345', 3, F), F, /at most 3\./);
    });

    it('does not echo control characters from the input in its message', () => {
      assert.throws(
        () => parseAmount('12\n<b>', 2, F),
        (error) => {
          assert.ok(error instanceof InputError);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    });
  });

  describe('decimals', () => {
    it('accepts 0 to 4 and rejects anything else', () => {
      for (const d of [0, 1, 2, 3, 4]) assert.equal(checkDecimals(d), d);
      for (const d of [-1, 5, 1.5, '2', null, undefined, NaN]) {
        assertInputError(() => checkDecimals(d), 'the decimals setting', /whole number from 0 to 4/);
      }
      assertInputError(() => parseAmount('1', 7), 'the decimals setting', /whole number/);
    });
  });

  describe('checkMaxAmount', () => {
    const max = parseAmount('500.00', 2, 'maxAmount');

    it('lets amounts up to the limit through', () => {
      assert.equal(checkMaxAmount(parseAmount('500', 2), max), undefined);
      assert.equal(checkMaxAmount(parseAmount('0.01', 2), max), undefined);
      assert.equal(checkMaxAmount(parseAmount('499.99', 2), max), undefined);
    });

    it('rejects an amount above the limit, naming the field, both amounts and maxAmount', () => {
      assertInputError(() => checkMaxAmount(parseAmount('500.01', 2), max, 'msg.payload'), 'msg.payload', /500\.01, above this terminal's limit of 500\.00/);
      assertInputError(() => checkMaxAmount(parseAmount(1e6, 2), max, 'amount'), 'amount', /limit of 500\.00/);
    });

    it('does nothing without a limit', () => {
      assert.equal(checkMaxAmount(parseAmount('99999', 2), undefined), undefined);
    });

    it('is applied by createRequest', () => {
      assertInputError(() => createRequest(draft('pay', { amount: 600 }), { decimals: 2, maxAmount: max }), 'msg.payload', /above this terminal's limit of 500\.00/);
      const ok = createRequest(draft('pay', { amount: 500 }), { decimals: 2, maxAmount: max });
      assert.equal(ok.amount.text, '500.00');
    });
  });

  describe('formatMinor', () => {
    const cases = [
      [1250n, 2, '12.50'],
      [5n, 2, '0.05'],
      [100n, 2, '1.00'],
      [7n, 0, '7'],
      [5n, 3, '0.005'],
      [123456789n, 4, '12345.6789'],
    ];
    for (const [minor, decimals, text] of cases) {
      it(`${minor}n with ${decimals} decimals -> ${text}`, () => assert.equal(formatMinor(minor, decimals), text));
    }
  });
});

// =============================================================================================

describe('protocol: references and receipt modes', () => {
  const F = 'msg.invoice';

  it('accepts 1 to 50 printable ASCII characters, inner spaces and punctuation included', () => {
    assert.equal(parseReference('a'.repeat(50), F), 'a'.repeat(50));
    assert.equal(parseReference('X', F), 'X');
    assert.equal(parseReference('INV 2024/07-#1 (a&b) <c> "d" \'e\' ~', F), 'INV 2024/07-#1 (a&b) <c> "d" \'e\' ~');
  });

  it('rejects 51 characters', () => {
    assertInputError(() => parseReference('a'.repeat(51), F), F, /at most 50 characters, not 51/);
  });

  it('rejects an empty string', () => assertInputError(() => parseReference('', F), F, /empty/));

  for (const [name, value] of [
    ['non-ASCII (é)', 'café'],
    ['a newline', 'a\nb'],
    ['a NUL', 'a\u0000'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\u007f'],
    ['a carriage return', 'a\rb'],
    ['an emoji', 'pay💳'],
  ]) {
    it(`rejects ${name}`, () => assertInputError(() => parseReference(value, F), F, /printable ASCII/));
  }

  it('does not echo control characters in its message', () => {
    assert.throws(
      () => parseReference('a\nb\u0000', F),
      (error) => {
        assert.ok(!error.message.includes('\n') && !error.message.includes('\u0000'), error.message);
        return true;
      },
    );
  });

  it('rejects a leading or trailing space', () => {
    assertInputError(() => parseReference(' a', F), F, /space/);
    assertInputError(() => parseReference('a ', F), F, /space/);
    assertInputError(() => parseReference(' ', F), F, /space/);
  });

  it('accepts whole numbers and writes them in decimal', () => {
    assert.equal(parseReference(42, F), '42');
    assert.equal(parseReference(0, F), '0');
    assert.equal(parseReference(Number.MAX_SAFE_INTEGER, F), String(Number.MAX_SAFE_INTEGER));
  });

  it('rejects numbers that are not safe non-negative integers', () => {
    for (const value of [1.5, -1, 2 ** 53, NaN, Infinity]) {
      assertInputError(() => parseReference(value, F), F, /must be text/);
    }
  });

  it('rejects objects, arrays, booleans and null', () => {
    assertInputError(() => parseReference({}, F), F, /object/);
    assertInputError(() => parseReference(['a'], F), F, /not a list/);
    assertInputError(() => parseReference(true, F), F, /not true or false/);
    assertInputError(() => parseReference(null, F), F, /null/);
  });

  it('receipt modes are exactly ON, OFF and AFTER_CONFIRMATION', () => {
    for (const mode of ['ON', 'OFF', 'AFTER_CONFIRMATION']) assert.equal(parseReceiptMode(mode, 'msg.receipt'), mode);
    for (const value of ['on', 'Off', ' ON', 'ON ', 'AFTER CONFIRMATION', 'after_confirmation', '', 'YES', null, undefined, 1, true, {}]) {
      assertInputError(() => parseReceiptMode(value, 'msg.custrcpt'), 'msg.custrcpt', /must be ON, OFF or AFTER_CONFIRMATION/);
    }
  });
});

// =============================================================================================

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
      const calls = [];
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
      const seen = new Set();
      for (let i = 0; i < 2000; i++) {
        const { invoice } = request(ACTIONS[i % 3], { amount: 1 });
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

    for (const action of ['complete', 'cancel']) {
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

    for (const action of ['pay', 'refund', 'preauth', 'complete']) {
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
        const inner = /<invoice>([\s\S]*)<\/invoice>/.exec(xml)[1];
        assert.doesNotMatch(inner, /[<>"']/);
        // And the framer sees exactly one frame.
        assert.equal(frameAll([xml]).length, 1);
      });

      it(`preauthcode ${JSON.stringify(value)}`, () => {
        for (const action of ['complete', 'cancel']) {
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

// =============================================================================================

describe('protocol: XmlFramer', () => {
  const REPLY = '<?xml version="1.0" encoding="UTF-8"?>\n<payresp>\n  <result>ERROR</result>\n  <status>3</status>\n  <status_text>Hibás kártya</status_text>\n  <ref></ref>\n</payresp>';

  it('frames one whole reply', () => {
    assert.deepEqual(frameAll([REPLY]), [REPLY]);
  });

  it('gives the same frame for a reply split at every byte position', () => {
    const bytes = Buffer.from(REPLY + '\n', 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const frames = frameAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(frames, [REPLY], `split at ${cut}`);
    }
  });

  it('gives the same frame for a reply split at every pair of positions', () => {
    const bytes = Buffer.from(SEED.completeError, 'utf8');
    for (let a = 0; a <= bytes.length; a += 3) {
      for (let b = a; b <= bytes.length; b += 7) {
        const frames = frameAll([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
        assert.deepEqual(frames, [SEED.completeError], `split at ${a}, ${b}`);
      }
    }
  });

  it('frames a reply fed one byte at a time, and reports inFrame in between', () => {
    const framer = new XmlFramer();
    const bytes = Buffer.from(REPLY, 'utf8');
    const frames = [];
    for (let i = 0; i < bytes.length; i++) {
      frames.push(...framer.push(bytes.subarray(i, i + 1)));
      if (i < bytes.length - 1) assert.equal(framer.inFrame, true, `inFrame after byte ${i}`);
    }
    assert.equal(frames.length, 1);
    assert.equal(framer.inFrame, false);
    assert.equal(frames[0].toString('utf8'), REPLY);
  });

  it("does not copy-alias the caller's buffer for partial frames", () => {
    const framer = new XmlFramer();
    const chunk = Buffer.from('<payresp><result>OK');
    assert.deepEqual(framer.push(chunk), []);
    chunk.fill(0x78); // the caller reuses its buffer
    const frames = framer.push(Buffer.from('</result><ref>1</ref></payresp>'));
    assert.equal(frames[0].toString(), '<payresp><result>OK</result><ref>1</ref></payresp>');
  });

  it('splits two replies in one chunk into two frames', () => {
    const both = `${SEED.payOk}${SEED.refundOk}`;
    assert.deepEqual(frameAll([both]), [SEED.payOk, SEED.refundOk]);
  });

  it('handles declarations, comments, CDATA, processing instructions and whitespace between frames', () => {
    const a = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<payresp><result>OK</result><ref>1</ref></payresp>';
    const b = '<!-- a comment with <tags> and > signs --><refundresp><ref><![CDATA[</refundresp> ]] > ]]]></ref><!-- </refundresp> --></refundresp>';
    const c = '<?pi <x> ?><preauthresp a="1>2" b=\'</preauthresp>\'><result>OK</result></preauthresp>';
    const d = '<empty/>';
    const stream = `\n\n  ${a}\n\t\r\n${b}   ${c}\n${d}\n`;
    assert.deepEqual(frameAll([stream]), [a, b, c, d]);
    // and the same stream one byte at a time
    const bytes = Buffer.from(stream);
    const pieces = [];
    for (let i = 0; i < bytes.length; i++) pieces.push(bytes.subarray(i, i + 1));
    assert.deepEqual(frameAll(pieces), [a, b, c, d]);
  });

  it('only whitespace produces no frame and leaves the framer outside a frame', () => {
    const framer = new XmlFramer();
    assert.deepEqual(framer.push(Buffer.from(' \r\n\t\n')), []);
    assert.equal(framer.inFrame, false);
  });

  it('frames the malformed `< preautcompletionhresp >` reply whole', () => {
    assert.deepEqual(frameAll([SEED.completeError]), [SEED.completeError]);
    assert.deepEqual(frameAll([`${SEED.completeError}\n${SEED.completeOk}\n`]), [SEED.completeError, SEED.completeOk]);
  });

  it('frames every seed reply, including those with `</name >`', () => {
    for (const [name, xml] of Object.entries(SEED)) {
      assert.deepEqual(frameAll([`${xml}\n`]), [xml], name);
    }
  });

  it('keeps a multi-byte UTF-8 character split across chunks intact', () => {
    const bytes = Buffer.from(SEED.badXml, 'utf8');
    const at = bytes.indexOf(Buffer.from('á', 'utf8'));
    assert.ok(at > 0);
    const frames = new XmlFramer();
    const out = [...frames.push(bytes.subarray(0, at + 1)), ...frames.push(bytes.subarray(at + 1))];
    assert.equal(out.length, 1);
    assert.equal(out[0].toString('utf8'), SEED.badXml);
    assert.deepEqual(interpretReply(out[0], 'pay'), { kind: 'bad-xml', ref: 'Hibás XML' });
  });

  describe('errors', () => {
    function assertFramingError(pieces, pattern) {
      const framer = new XmlFramer();
      assert.throws(
        () => {
          for (const piece of pieces) framer.push(Buffer.from(piece));
        },
        (error) => {
          assert.ok(error instanceof FramingError, `expected FramingError, got ${error}`);
          assert.match(error.message, pattern);
          return true;
        },
      );
      return framer;
    }

    it('text outside the root element', () => {
      assertFramingError(['hello'], /text outside the root/);
      assertFramingError(['this is not XML at all\r\n'], /text outside the root/);
      assertFramingError(['<a/>x'], /text outside the root/);
    });

    it('<!DOCTYPE and <!ENTITY', () => {
      assertFramingError(['<!DOCTYPE payresp><payresp/>'], /DOCTYPE/);
      assertFramingError(['<!DOC', 'TYPE x>'], /DOCTYPE/);
      assertFramingError(['<payresp><!ENTITY a "b"></payresp>'], /DOCTYPE/);
    });

    it('CDATA outside the root element', () => {
      assertFramingError(['<![CDATA[x]]>'], /CDATA outside/);
    });

    it('a frame of 16 KiB is accepted, one byte more is not', () => {
      const exact = `<a>${'x'.repeat(16 * 1024 - 7)}</a>`;
      assert.equal(Buffer.byteLength(exact), 16 * 1024);
      assert.equal(frameAll([exact]).length, 1);
      assertFramingError([`<a>${'x'.repeat(16 * 1024 - 6)}</a>`], /longer than 16384 bytes/);
    });

    it('a frame over 16 KiB arriving in small pieces', () => {
      const framer = new XmlFramer();
      framer.push(Buffer.from('<payresp>'));
      const piece = Buffer.alloc(1000, 0x61);
      assert.throws(() => {
        for (let i = 0; i < 100; i++) framer.push(piece);
      }, FramingError);
    });

    it('a 10 MB chunk is rejected', () => {
      const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
      big.write('<payresp>', 0);
      const framer = new XmlFramer();
      assert.throws(() => framer.push(big), /longer than 16384 bytes/);
    });

    it('whitespace between messages: up to 16 KiB is passed over, an endless stream of it is not', () => {
      const framer = new XmlFramer();
      const blank = Buffer.alloc(16 * 1024, 0x20);
      assert.deepEqual(framer.push(Buffer.concat([blank, Buffer.from(SEED.payOk)])).map(String), [SEED.payOk]);
      assert.deepEqual(framer.push(Buffer.concat([blank, Buffer.from(SEED.refundOk)])).map(String), [SEED.refundOk], 'counted afresh after each message');
      const flood = new XmlFramer();
      assert.throws(() => {
        for (let i = 0; i < 160; i++) flood.push(Buffer.alloc(64 * 1024, i % 2 ? 0x0a : 0x20)); // 10 MB
      }, /more than 16384 bytes of whitespace between messages/);
      assert.throws(() => flood.push(Buffer.from(SEED.payOk)), FramingError, 'and stays failed until reset()');
    });

    it('comments, CDATA and processing instructions split anywhere frame exactly as when whole', () => {
      const stream = Buffer.from(`<?xml version="1.0"?><!-- a > b - ->--><payresp><!---->` + `<ref><![CDATA[x]>]]]]><![CDATA[>]]></ref><?pi ? > ?><result>OK</result></payresp><!-- - -->`);
      const whole = new XmlFramer().push(stream).map(String);
      assert.equal(whole.length, 1);
      assert.ok(whole[0].endsWith('</payresp>'));
      for (let cut = 1; cut < stream.length; cut++) {
        const framer = new XmlFramer();
        const frames = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))].map(String);
        assert.deepEqual(frames, whole, `cut at ${cut}`);
        assert.equal(framer.inFrame, true, 'the trailing comment is the start of the next frame');
      }
    });

    it('a long text or attribute value split anywhere frames exactly as when whole', () => {
      const stream = Buffer.from(`<payresp note="a>b/c'<>">\n<ref>${'é'.repeat(3000)}</ref><x a='"'/></payresp> <payresp/>`);
      const whole = new XmlFramer().push(stream).map(String);
      assert.equal(whole.length, 2);
      for (const cut of [1, 7, 14, 25, 26, 1000, 6000, stream.length - 3]) {
        const framer = new XmlFramer();
        const frames = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))].map(String);
        assert.deepEqual(frames, whole, `cut at ${cut}`);
      }
    });

    it('more than 64 elements in one message, each message counted afresh', () => {
      const framer = new XmlFramer();
      const full = `<payresp>${'<x/>'.repeat(63)}</payresp>`;
      assert.deepEqual(framer.push(Buffer.from(full + full)).map(String), [full, full]);
      assertFramingError([`<payresp>${'<x>1</x>'.repeat(64)}`], /more than 64 elements in one message/);
    });

    it('nesting deeper than 16', () => {
      const ok = '<a>'.repeat(16) + '</a>'.repeat(16);
      assert.equal(frameAll([ok]).length, 1);
      assertFramingError(['<a>'.repeat(17)], /deeper than 16/);
    });

    it('a closing tag without an opening tag', () => {
      assertFramingError(['</payresp>'], /closing tag without an opening tag/);
      assertFramingError(['<a></a></b>'], /closing tag without an opening tag|text outside/);
    });

    it('"<" inside a tag and empty tags', () => {
      assertFramingError(['<pay<resp>'], /inside a tag/);
      assertFramingError(['<a></a<>'], /inside a tag/);
      assertFramingError(['<>'], /empty tag/);
    });

    it('after an error the framer stays failed until reset()', () => {
      const framer = assertFramingError(['garbage'], /text outside/);
      assert.throws(() => framer.push(Buffer.from(SEED.payOk)), FramingError);
      assert.throws(() => framer.push(Buffer.from(' ')), FramingError);
      framer.reset();
      assert.deepEqual(framer.push(Buffer.from(SEED.payOk)).map(String), [SEED.payOk]);
    });

    it('reset() drops a partial frame', () => {
      const framer = new XmlFramer();
      framer.push(Buffer.from('<payresp><result>OK</res'));
      assert.equal(framer.inFrame, true);
      framer.reset();
      assert.equal(framer.inFrame, false);
      assert.deepEqual(framer.push(Buffer.from(SEED.refundOk)).map(String), [SEED.refundOk]);
    });

    it('honours custom limits', () => {
      const framer = new XmlFramer({ maxFrameBytes: 32, maxDepth: 2 });
      assert.throws(() => framer.push(Buffer.from('<a><b><c></c></b></a>')), /deeper than 2/);
      framer.reset();
      assert.throws(() => framer.push(Buffer.from(`<a>${'x'.repeat(40)}</a>`)), /longer than 32/);
    });
  });
});

// =============================================================================================

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
          for (const kind of ['ok', 'error']) {
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
      const errorSuccess = resultFor('<payresp><result>ERROR</result><status>0</status><status_text>TRANSACTION_SUCCESS</status_text><ref></ref></payresp>', 'pay');
      assertFailureShape(errorSuccess, 'pay', { ref: '', status: 0, statusName: 'TRANSACTION_SUCCESS', statusText: 'TRANSACTION_SUCCESS', code: 'PROTOCOL', outcome: 'unknown' });
      assert.match(errorSuccess.message, /contradicts itself: ERROR with status 0/);
      const okFailed = resultFor('<refundresp><result>OK</result><status>3</status><status_text>TRANSACTION_FAILED</status_text><ref>R7</ref></refundresp>', 'refund');
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
      const result = resultFor(xml, 'pay');
      assert.equal(result.statusText, 'Kártya elutasítva & <PIN> "x" \'y\' éA');
      assert.equal(result.statusName, 'TRANSACTION_DECLINED');
      assert.equal(result.status, 2);
    });

    it("status_text is not mapped from the status: the terminal's own words are kept", () => {
      const xml = '<payresp><result>ERROR</result><status>2</status><status_text>Card expired</status_text><ref></ref></payresp>';
      const result = resultFor(xml, 'pay');
      assert.equal(result.statusText, 'Card expired');
      assert.equal(result.statusName, 'TRANSACTION_DECLINED');
      assert.equal(result.message, 'Card declined by the bank. The terminal says: "Card expired".');
    });

    it('an error without status_text has statusText null and says the status in words', () => {
      const result = resultFor('<payresp><result>ERROR</result><status>1</status><ref></ref></payresp>', 'pay');
      assert.equal(result.statusText, null);
      assert.equal(result.statusName, 'TRANSACTION_CANCELED');
      assert.equal(result.message, 'Cancelled on the terminal, by the customer or staff.');
    });

    it('a status with leading zeros or padding is read as a number', () => {
      assert.equal(resultFor('<payresp><result>ERROR</result><status> 007 </status><ref></ref></payresp>', 'pay').status, 7);
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
      const frames = [];
      for (let i = 0; i < xml.length; i++) frames.push(...framer.push(xml.subarray(i, i + 1)));
      assert.equal(frames.length, 1);
      assert.equal(resultFor(frames[0], 'pay').statusText, 'Hibás kártya');
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
          assert.equal(resultFromReply(sampleRequest('pay'), verdict).outcome, 'unknown', xml);
        }
      }
      assert.equal({}.polluted, undefined);
      assert.equal(Object.prototype.polluted, undefined);
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
      const make = (bytes) => Buffer.concat([Buffer.from('<payresp><result>ERROR</result><status>2</status><status_text>'), Buffer.from(bytes), Buffer.from('</status_text><ref></ref></payresp>')]);
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
      const result = resultFor('<payresp><result>ERROR</result><status>2</status><status_text>DECLINED</status_text><ref>R-77</ref></payresp>', 'pay');
      assert.equal(result.ref, 'R-77');
      assert.equal(result.code, 'TERMINAL');
    });

    it('every unknown outcome tells the user to check the terminal before trying again', () => {
      for (const action of ACTIONS) {
        const result = resultFor('<garbage/>', action);
        assert.equal(result.outcome, 'unknown');
        assert.match(result.message, UNKNOWN_ADVICE);
        assert.match(result.message, /may have gone through/);
      }
    });
  });
});
