import assert from 'node:assert/strict';
import { XmlFramer } from '../../src/protocol';

/** Pushes each piece through one framer and returns every frame, byte for byte. */
export function frameBuffers(pieces: Iterable<string | Buffer>, framer = new XmlFramer()): Buffer[] {
  const frames: Buffer[] = [];
  for (const piece of pieces) {
    for (const frame of framer.push(typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece)) {
      assert.ok(Buffer.isBuffer(frame), 'frames are Buffers');
      frames.push(frame);
    }
  }
  return frames;
}

/** Pushes each piece through one framer and returns every frame as a string. */
export function frameAll(pieces: Iterable<string | Buffer>, framer = new XmlFramer()): string[] {
  return frameBuffers(pieces, framer).map((frame) => frame.toString('utf8'));
}
