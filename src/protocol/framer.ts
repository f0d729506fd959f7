/**
 * Cuts a byte stream into XML messages. Nothing delimits a message but the XML itself, so the
 * framer follows element depth and ends a frame when the root element closes. It skips the
 * declaration, processing instructions, comments and CDATA, and tolerates the app's `< name >`
 * spelling. It works on raw bytes: `<` and `>` never occur inside a UTF-8 multi-byte sequence,
 * so a character split across reads is decoded whole later, from the complete frame.
 */

export interface FramerLimits {
  /**
   * Largest frame accepted, in bytes, and most whitespace accepted between frames. Replies are a
   * few hundred bytes; anything near this is hostile, and reading it must not block the loop.
   */
  readonly maxFrameBytes: number;
  /** Deepest element nesting accepted. Replies are two levels deep. */
  readonly maxDepth: number;
  /** Most elements accepted in one frame. Replies hold about five. Default 64. */
  readonly maxElements?: number;
}

export const DEFAULT_FRAMER_LIMITS: Required<FramerLimits> = { maxFrameBytes: 16 * 1024, maxDepth: 16, maxElements: 64 };

export class FramingError extends Error {
  /** Frames the same push() completed before the bad bytes; they are good and still count. */
  completedFrames: Buffer[] = [];

  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const DASH = 0x2d;
const RBRACKET = 0x5d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

type State =
  | 'between' // outside any markup
  | 'markupStart' // just after `<`
  | 'declarationStart' // after `<!`, deciding between comment, CDATA and DOCTYPE
  | 'processingInstruction'
  | 'comment'
  | 'cdata'
  | 'startTag'
  | 'endTag';

const CDATA_OPENING = '[CDATA[';

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function indexOrEnd(bytes: Buffer, byte: number, from: number): number {
  const found = bytes.indexOf(byte, from);
  return found === -1 ? bytes.length : found;
}

export class XmlFramer {
  private readonly limits: Required<FramerLimits>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private state: State = 'between';
  private depth = 0;
  /** Elements begun in the current frame. */
  private elements = 0;
  /** Whether the current frame has begun (a non-whitespace byte was seen). */
  private started = false;
  /** Whitespace since the last frame: never kept, but a stream of it must still end. */
  private idleBytes = 0;
  private quote = 0;
  private previous = 0;
  private beforePrevious = 0;
  private declaration = '';
  private failed: FramingError | undefined;

  constructor(limits: FramerLimits = DEFAULT_FRAMER_LIMITS) {
    this.limits = { ...DEFAULT_FRAMER_LIMITS, ...limits };
  }

  /** True while part of a frame has arrived and its end has not. */
  get inFrame(): boolean {
    return this.started;
  }

  /**
   * Feeds bytes in; returns the frames they completed, in order. Throws FramingError when the
   * stream cannot be a sequence of XML messages; the framer then stays failed until reset().
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) {
      this.failed.completedFrames = [];
      throw this.failed;
    }
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const frames: Buffer[] = [];
    let frameStart = 0;
    try {
      for (let i = 0; i < bytes.length; i++) {
        const byte = bytes[i];
        if (!this.started) {
          if (isWhitespace(byte)) {
            frameStart = i + 1;
            if (++this.idleBytes > this.limits.maxFrameBytes) {
              throw new FramingError(`more than ${this.limits.maxFrameBytes} bytes of whitespace between messages`);
            }
            continue;
          }
          this.started = true;
          this.idleBytes = 0;
        }
        // Runs of bytes that cannot change the state (text, quoted values, comments) are passed
        // over natively: a long one is the cheapest flood a hostile peer can send.
        const runEnd = this.endOfInertRun(bytes, i);
        if (this.pendingBytes + (runEnd - frameStart) >= this.limits.maxFrameBytes) {
          throw new FramingError(`message longer than ${this.limits.maxFrameBytes} bytes`);
        }
        if (runEnd > i) {
          this.beforePrevious = runEnd - i > 1 ? bytes[runEnd - 2] : this.previous;
          this.previous = bytes[runEnd - 1];
          i = runEnd - 1;
          continue;
        }
        if (this.step(byte)) {
          frames.push(this.take(bytes.subarray(frameStart, i + 1)));
          frameStart = i + 1;
        }
      }
      if (this.started) this.keep(bytes.subarray(frameStart));
    } catch (error) {
      if (error instanceof FramingError) {
        this.fail(error);
        error.completedFrames = frames;
      }
      throw error;
    }
    return frames;
  }

  /** Where the bytes from i on that step() would only remember end; i itself when byte i matters. */
  private endOfInertRun(bytes: Buffer, i: number): number {
    switch (this.state) {
      case 'between':
        return this.depth > 0 && bytes[i] !== LT ? indexOrEnd(bytes, LT, i) : i;
      case 'startTag':
        return this.quote !== 0 && bytes[i] !== this.quote ? indexOrEnd(bytes, this.quote, i) : i;
      case 'comment':
      case 'cdata':
      case 'processingInstruction':
        return bytes[i] !== GT ? indexOrEnd(bytes, GT, i) : i;
      default:
        return i;
    }
  }

  /** Drops anything buffered and forgets any failure. */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.state = 'between';
    this.depth = 0;
    this.elements = 0;
    this.started = false;
    this.idleBytes = 0;
    this.quote = 0;
    this.previous = 0;
    this.beforePrevious = 0;
    this.declaration = '';
    this.failed = undefined;
  }

  private fail(error: FramingError): void {
    this.reset();
    this.failed = error;
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pendingBytes += bytes.length;
    // Copied: the caller may reuse its buffer.
    this.pending.push(Buffer.from(bytes));
  }

  private take(tail: Buffer): Buffer {
    const size = this.pendingBytes + tail.length;
    const frame = Buffer.concat([...this.pending, tail], size);
    this.pending = [];
    this.pendingBytes = 0;
    this.started = false;
    this.elements = 0;
    return frame;
  }

  /** Advances the state machine by one byte; true when the byte ends a frame. */
  private step(byte: number): boolean {
    const previous = this.previous;
    const beforePrevious = this.beforePrevious;
    this.beforePrevious = previous;
    this.previous = byte;
    switch (this.state) {
      case 'between':
        if (byte === LT) {
          this.state = 'markupStart';
        } else if (this.depth === 0 && !isWhitespace(byte)) {
          throw new FramingError('text outside the root element');
        }
        return false;
      case 'markupStart':
        if (isWhitespace(byte)) return false;
        if (byte === QUESTION) {
          this.state = 'processingInstruction';
          this.previous = 0;
        } else if (byte === BANG) {
          this.state = 'declarationStart';
          this.declaration = '';
        } else if (byte === SLASH) {
          this.state = 'endTag';
        } else if (byte === LT || byte === GT) {
          throw new FramingError('empty tag');
        } else {
          this.state = 'startTag';
          this.quote = 0;
        }
        return false;
      case 'declarationStart':
        this.declaration += String.fromCharCode(byte);
        if (this.declaration === '--') {
          this.state = 'comment';
          this.previous = 0;
          this.beforePrevious = 0;
        } else if (this.declaration === CDATA_OPENING) {
          if (this.depth === 0) throw new FramingError('CDATA outside the root element');
          this.state = 'cdata';
          this.previous = 0;
          this.beforePrevious = 0;
        } else if (!'--'.startsWith(this.declaration) && !CDATA_OPENING.startsWith(this.declaration)) {
          throw new FramingError('DOCTYPE and other declarations are not accepted');
        }
        return false;
      case 'processingInstruction':
        if (byte === GT && previous === QUESTION) this.state = 'between';
        return false;
      case 'comment':
        if (byte === GT && previous === DASH && beforePrevious === DASH) this.state = 'between';
        return false;
      case 'cdata':
        if (byte === GT && previous === RBRACKET && beforePrevious === RBRACKET) this.state = 'between';
        return false;
      case 'startTag':
        if (this.quote !== 0) {
          if (byte === this.quote) this.quote = 0;
          return false;
        }
        if (byte === DQUOTE || byte === SQUOTE) {
          this.quote = byte;
          return false;
        }
        if (byte === LT) throw new FramingError('"<" inside a tag');
        if (byte !== GT) return false;
        this.state = 'between';
        if (++this.elements > this.limits.maxElements) throw new FramingError(`more than ${this.limits.maxElements} elements in one message`);
        if (previous === SLASH) return this.depth === 0;
        this.depth += 1;
        if (this.depth > this.limits.maxDepth) throw new FramingError(`elements nested deeper than ${this.limits.maxDepth}`);
        return false;
      case 'endTag':
        if (byte === LT) throw new FramingError('"<" inside a tag');
        if (byte !== GT) return false;
        this.state = 'between';
        this.depth -= 1;
        if (this.depth < 0) throw new FramingError('closing tag without an opening tag');
        return this.depth === 0;
    }
  }
}
