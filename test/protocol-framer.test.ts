/** The protocol layer on its own: the stream framer (XmlFramer) and its errors. No sockets, no timers. */
import assert from 'node:assert/strict';
import { FramingError, interpretReply, XmlFramer } from '../src/protocol';
import { frameAll } from './support/framing';
import { SEED } from './support/seed-replies';

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
    function assertFramingError(pieces: string[], pattern: RegExp): XmlFramer {
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
