/**
 * Property-based tests (fast-check) of the protocol core:
 * - framing gives the same frames however the byte stream is cut;
 * - whatever the input, a request either is refused with an InputError or parses back to exactly
 *   the intended fields;
 * - amount formatting round-trips, and numbers never leak floating point onto the wire.
 */

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ACTION_SPECS, InputError, XmlFramer, buildRequestXml, createRequest, escapeXmlText, formatMinor, interpretReply, parseAmount, parseFlatXml, readRequest } from '../src/protocol';
import type { Action, ReceivedRequest, ReplyVerdict, RequestDraft, TerminalRequest } from '../src/protocol';
import { frameBuffers } from './support/framing';
import { CHILDREN } from './support/request-layout';

const ACTIONS: readonly Action[] = ['pay', 'refund', 'preauth', 'complete', 'cancel'];
const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------------------------

/** Characters of text content: ASCII, Hungarian, a 3-byte dash, a 4-byte emoji, XML specials. */
const TEXT_CHARS = [...'aZ09 -_.:/', 'á', 'Ő', 'ű', 'ß', '–', '€', '💳', '\n', '<', '>', '&', '"', "'", ']', '!', '?'];
const text = (maxLength = 12) => fc.string({ unit: fc.constantFrom(...TEXT_CHARS), maxLength });
/** Comment content: anything but `--` (and not ending in `-`). */
const commentText = text(10).map((value) => value.replace(/-+/g, '_'));
const space = fc.constantFrom('', ' ', '\n', '\t', '  \n  ', '\r\n');

/** Every reply root with the action it answers, including the seed's misspellings. */
const ROOTS = ACTIONS.flatMap((action) => ACTION_SPECS[action].replyRoots.map((root) => ({ root, action })));

/**
 * A reply as the app might write it: optional declaration, comments and processing instructions
 * before the root, whitespace and comments between children, values as escaped text or CDATA,
 * an attribute holding `>`, `< preautcompletionhresp >` with its spaces, `</x >` closing tags.
 * Returns the text and the verdict interpretReply must give for it.
 */
const reply = fc
  .record({
    root: fc.constantFrom(...ROOTS),
    declaration: fc.boolean(),
    leading: fc.array(
      fc.oneof(
        commentText.map((c) => `<!--${c}-->`),
        fc.constant('<?mypos note?>'),
      ),
      { maxLength: 2 },
    ),
    attribute: fc.boolean(),
    spacedTags: fc.boolean(),
    ok: fc.boolean(),
    status: fc.integer({ min: 0, max: 999 }),
    statusText: text(),
    ref: text(),
    refAsCdata: fc.boolean(),
    refSelfClosing: fc.boolean(),
    gaps: fc.array(space, { minLength: 6, maxLength: 6 }),
    innerComment: fc.option(commentText, { nil: undefined }),
    closingSpace: fc.boolean(),
  })
  .filter(({ ref }) => !/^hib[aá]s\s+xml$/i.test(ref.trim()))
  .map((r) => {
    const { root, action } = r.root;
    // The app writes its completion error reply `< preautcompletionhresp >`: always with spaces.
    const spaced = r.spacedTags || root === 'preautcompletionhresp';
    const open = spaced ? `< ${root}${r.attribute ? ' note="a>b/"' : ''} >` : `<${root}${r.attribute ? ' note="a>b/"' : ''}>`;
    const close = spaced ? `</ ${root} >` : `</${root}${r.closingSpace ? ' ' : ''}>`;
    const refText = r.ref.trim();
    let refElement: string;
    if (refText === '' && r.refSelfClosing) refElement = '<ref/>';
    else if (r.refAsCdata && !refText.includes(']]>')) refElement = `<ref><![CDATA[${refText}]]></ref>`;
    else refElement = `<ref>${escapeXmlText(refText)}</ref>`;
    const children = [`<result>${r.ok ? 'OK' : 'ERROR'}</result>`];
    if (!r.ok) children.push(`<status>${r.status}</status>`, `<status_text>${escapeXmlText(r.statusText)}</status_text>`);
    children.push(refElement);
    if (r.innerComment !== undefined) children.splice(1, 0, `<!--${r.innerComment}-->`);
    const body = children.map((child, i) => `${r.gaps[i % r.gaps.length]}${child}`).join('');
    const xml = `${r.declaration ? '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' : ''}${r.leading.join('\n')}${open}${body}${r.gaps[5]}${close}`;
    const statusText = r.statusText.trim() === '' ? null : r.statusText.trim();
    // ERROR with status 0 (TRANSACTION_SUCCESS) contradicts itself, and is read as such.
    const verdict: ReplyVerdict = r.ok
      ? { kind: 'ok', ref: refText }
      : r.status === 0
        ? { kind: 'contradictory', reason: `it says ERROR with status 0${statusText ? ` (${statusText})` : ''}`, ref: refText, status: 0, statusText }
        : { kind: 'declined', ref: refText, status: r.status, statusText };
    return { xml, action, verdict };
  });

/** Cuts bytes at the given positions (any numbers; taken modulo the length, sorted, unique). */
function cut(bytes: Buffer, positions: number[]): Buffer[] {
  const points = [...new Set(positions.map((p) => (bytes.length === 0 ? 0 : p % bytes.length)))].sort((a, b) => a - b);
  const chunks = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

function frameAll(chunks: Buffer[]): { frames: Buffer[]; framer: XmlFramer } {
  const framer = new XmlFramer();
  return { frames: frameBuffers(chunks, framer), framer };
}

describe('properties: framing', function () {
  this.timeout(30000);

  it('a stream of replies gives the same frames however it is cut, and each frame reads back as written', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(space, reply), { minLength: 1, maxLength: 5 }), space, fc.array(fc.nat(), { maxLength: 40 }), (messages, trailing, positions) => {
        const stream = Buffer.from(messages.map(([gap, message]) => `${gap}${message.xml}`).join('') + trailing, 'utf8');
        const expected = messages.map(([, message]) => Buffer.from(message.xml, 'utf8'));
        const { frames, framer } = frameAll(cut(stream, positions));
        assert.deepEqual(
          frames.map((frame) => frame.toString('utf8')),
          expected.map((frame) => frame.toString('utf8')),
        );
        assert.ok(
          frames.every((frame, i) => frame.equals(expected[i])),
          'byte for byte',
        );
        assert.equal(framer.inFrame, false, 'nothing left over');
        messages.forEach(([, message], i) => {
          assert.deepEqual(interpretReply(frames[i], message.action), message.verdict, message.xml);
        });
      }),
      RUNS,
    );
  });

  it('one byte at a time gives the same frames as all at once', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 3 }), (messages) => {
        const stream = Buffer.from(messages.map((message) => message.xml).join('\n'), 'utf8');
        const whole = frameAll([stream]).frames;
        const bytewise = frameAll([...stream].map((byte) => Buffer.from([byte]))).frames;
        assert.deepEqual(bytewise, whole);
        assert.equal(whole.length, messages.length);
      }),
      { numRuns: 150 },
    );
  });

  it('a stream cut short gives the frames before the cut and holds the rest, whatever the cut', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 3 }), fc.nat(), (messages, at) => {
        const texts = messages.map((message) => message.xml);
        const stream = Buffer.from(texts.join(''), 'utf8');
        const end = at % (stream.length + 1);
        const { frames, framer } = frameAll([stream.subarray(0, end)]);
        let complete = 0;
        let offset = 0;
        for (const t of texts) {
          offset += Buffer.byteLength(t);
          if (offset <= end) complete += 1;
        }
        assert.equal(frames.length, complete);
        const consumed = texts.slice(0, complete).reduce((sum, t) => sum + Buffer.byteLength(t), 0);
        assert.equal(framer.inFrame, end > consumed, 'the framer holds a partial frame exactly when bytes of one arrived');
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const INJECTIONS = [
  '</invoice><sum>0.01</sum>',
  '</preauthcode><sum>999</sum>',
  ']]>',
  '<![CDATA[x]]>',
  '"\'',
  '&amp;&lt;&#60;&#x3c;',
  '<!DOCTYPE pay [<!ENTITY a "b">]>',
  '<?xml version="1.0"?>',
  '<!--',
  '-->',
  'A\u0000B',
  'A\nB',
  ' padded ',
  '12.50',
  '0012.5',
  '1e3',
  '12,50',
  '-1',
  'ON',
  'OFF',
  'AFTER_CONFIRMATION',
  'on',
  '',
];

/** Any value at all, with a bias towards the interesting ones. */
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.anything() },
  { weight: 2, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'<>&"\';]!-?/ =ABZaz09.#x'), maxLength: 60 }) },
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, true, NaN, Infinity, -0, Symbol('x'), () => '1', [], {}) },
);
/** Amounts: mostly plausible numbers and decimal strings, sometimes anything. */
const anyAmount = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 10_000_000 }) },
  { weight: 2, arbitrary: fc.double({ min: -1, max: 1e7, noNaN: false }) },
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 999999 }), fc.nat({ max: 99999 })).map(([a, b]) => `${a}.${b}`) },
  { weight: 1, arbitrary: fc.stringMatching(/^[ 0-9.,eE+-]{0,14}$/) },
  { weight: 1, arbitrary: anyValue },
);
/** References: mostly printable ASCII with XML specials (often accepted), sometimes anything. */
const PRINTABLE = [...Array(95)].map((_, i) => String.fromCharCode(32 + i));
const anyReference = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: fc.constantFrom(...PRINTABLE, '<', '>', '&', ']', '"', "'"), minLength: 1, maxLength: 52 }) },
  { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
  { weight: 1, arbitrary: fc.nat() },
  { weight: 3, arbitrary: anyValue },
);
const anyReceipt = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('ON', 'OFF', 'AFTER_CONFIRMATION') }, { weight: 1, arbitrary: anyValue });

describe('properties: requests', function () {
  this.timeout(30000);

  it('whatever the input, createRequest refuses it with an InputError or builds XML that parses back to exactly the intended fields', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...ACTIONS),
        fc.integer({ min: 0, max: 4 }),
        anyAmount,
        anyReference,
        anyReference,
        anyReceipt,
        anyReceipt,
        (action, decimals, amount, invoice, preauthcode, receipt, custrcpt) => {
          const draft: RequestDraft = {
            action,
            amount: { value: amount, field: 'amount' },
            invoice: { value: invoice, field: 'invoice' },
            preauthCode: { value: preauthcode, field: 'preauthcode' },
            receipt: { value: receipt, field: 'receipt' },
            custrcpt: { value: custrcpt, field: 'custrcpt' },
          };
          let request: TerminalRequest;
          try {
            request = createRequest(draft, { decimals });
          } catch (error) {
            assert.ok(error instanceof InputError, `only InputError may be thrown, got ${error instanceof Error ? error.stack : String(error)}`);
            assert.match(error.message, /^(amount|invoice|preauthcode|receipt|custrcpt) /);
            refused += 1;
            return;
          }
          accepted += 1;
          const spec = ACTION_SPECS[action];
          const xml = buildRequestXml(request);
          const document = parseFlatXml(xml);
          assert.equal(document.root, spec.requestRoot);
          assert.deepEqual([...document.fields.keys()], CHILDREN[action], 'exactly the seed children, in order');
          const expected: { -readonly [K in keyof ReceivedRequest]: unknown } = { action, receipt, custrcpt };
          if (spec.hasInvoice) {
            const expectedInvoice = invoice === undefined || invoice === null ? request.invoice : String(invoice);
            assert.ok(expectedInvoice !== undefined, 'an invoice was generated');
            expected.invoice = expectedInvoice;
            assert.match(expectedInvoice, /^[\x20-\x7e]{1,50}$/);
          }
          if (spec.hasPreauthCode) expected.preauthCode = String(preauthcode);
          if (spec.hasAmount) {
            const amount = request.amount;
            assert.ok(amount, 'the request has an amount');
            expected.sum = amount.text;
            assert.match(amount.text, decimals === 0 ? /^[0-9]+$/ : new RegExp(`^[0-9]+\\.[0-9]{${decimals}}$`));
            assert.ok(amount.minor > 0n);
            assert.equal(parseAmount(amount.text, decimals).minor, amount.minor);
          }
          assert.deepEqual(readRequest(document), expected, xml);
          // Nothing but the request's own markup: one declaration, the root, the children.
          assert.equal((xml.match(/</g) ?? []).length, 3 + 2 * CHILDREN[action].length, xml);
        },
      ),
      { numRuns: 500 },
    );
    console.log(`        ${accepted} requests built and read back, ${refused} refused with an InputError`);
    // The generators must keep exercising both sides.
    assert.ok(accepted >= 50 && refused >= 50, `accepted ${accepted}, refused ${refused}`);
  });

  it('a string invoice is accepted exactly when it is 1 to 50 printable ASCII characters without a space at either end', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), (invoice) => {
        const valid = /^[\x21-\x7e]([\x20-\x7e]{0,48}[\x21-\x7e])?$/.test(invoice);
        const draft: RequestDraft = {
          action: 'pay',
          amount: { value: '1.00', field: 'amount' },
          invoice: { value: invoice, field: 'invoice' },
          receipt: { value: 'ON', field: 'receipt' },
          custrcpt: { value: 'ON', field: 'custrcpt' },
        };
        let accepted: string | undefined;
        try {
          accepted = createRequest(draft, { decimals: 2 }).invoice;
        } catch (error) {
          assert.ok(error instanceof InputError);
        }
        assert.equal(accepted !== undefined, valid, JSON.stringify(invoice));
        if (valid) assert.equal(readRequest(parseFlatXml(buildRequestXml(createRequest(draft, { decimals: 2 })))).invoice, invoice);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------------------------

const decimalsArb = fc.integer({ min: 0, max: 4 });

describe('properties: amounts', function () {
  this.timeout(30000);

  it('formatMinor -> parseAmount gives back the same minor units and text (up to 12 integer digits)', () => {
    fc.assert(
      fc.property(
        decimalsArb.chain((d) => fc.tuple(fc.constant(d), fc.bigInt({ min: 1n, max: 10n ** BigInt(12 + d) - 1n }))),
        ([d, minor]) => {
          const text = formatMinor(minor, d);
          const amount = parseAmount(text, d);
          assert.equal(amount.minor, minor);
          assert.equal(amount.text, text);
          // Trailing zeros do not change the amount.
          const padded = d === 0 ? `${text}.000` : `${text}00`;
          assert.equal(parseAmount(padded, d).minor, minor);
        },
      ),
      RUNS,
    );
  });

  it('a number with at most `decimals` digits after the point goes out without floating-point artifacts', () => {
    fc.assert(
      fc.property(
        decimalsArb.chain((d) => fc.tuple(fc.constant(d), fc.integer({ min: 1, max: Math.min(10 ** (12 + d), 10 ** 15) - 1 }))),
        ([d, units]) => {
          const value = units / 10 ** d; // e.g. 1234 / 100 = 12.34 as the nearest double
          const amount = parseAmount(value, d);
          assert.equal(amount.minor, BigInt(units), `${value} with ${d} decimals`);
          assert.equal(amount.text, formatMinor(BigInt(units), d));
        },
      ),
      RUNS,
    );
  });

  it('a sum of two amounts computed in floating point goes out as the exact sum (0.1 + 0.2 -> 0.30)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), (a, b) => {
        const amount = parseAmount(a / 100 + b / 100, 2);
        assert.equal(amount.minor, BigInt(a + b), `${a / 100} + ${b / 100}`);
      }),
      RUNS,
    );
    assert.equal(parseAmount(0.1 + 0.2, 2).text, '0.30');
  });

  it('a number with more digits after the point than `decimals` is refused, never rounded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }).chain((d) =>
          fc.tuple(
            fc.constant(d),
            fc.integer({ min: 1, max: 10 ** 13 }).filter((u) => u % 10 !== 0),
          ),
        ),
        ([d, units]) => {
          const value = units / 10 ** (d + 1);
          assert.throws(() => parseAmount(value, d), InputError, `${value} with ${d} decimals`);
          assert.throws(() => parseAmount(String(value), d), InputError);
        },
      ),
      RUNS,
    );
  });
});
