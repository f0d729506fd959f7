// Hostile answers from a "terminal": a TCP server on 127.0.0.1 that answers each request with the
// bytes of the case named in the request's invoice (`<case>#<n>`). It runs in a child process,
// so that what it costs to produce the bytes (10 MB of them) is not measured as the client's cost.
//
//   node --require tsx/cjs test/support/hostile-answers.ts     prints "PORT <n>", then "RECV <invoice>" per request
//
// Invoices of other shapes get an ordinary OK answer, so a client can show it recovered.
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { ErrorCode, Outcome } from '../../src';
import { typeScriptChild } from './typescript-child';

const laughs = (() => {
  const lines = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) lines.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n ${lines.join('\n ')}\n]>\n<payresp><result>OK</result><ref>&lol9;</ref></payresp>\n`;
})();

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));
const withRef = (ref: string | number[]): Buffer => bytes('<payresp><result>OK</result><ref>', ref, '</ref></payresp>\n');

/** What the client must make of a hostile answer: an error, or OK with a ref that begins with refPrefix. */
export type HostileExpectation = { readonly result: 'ERROR'; readonly code: ErrorCode; readonly outcome: Outcome } | { readonly result: 'OK'; readonly refPrefix: string };

/** 10 MB that never end: `stream` first, then `fill` bytes. */
interface EndlessAnswer {
  readonly stream: string;
  readonly fill: number;
}

export interface HostileCase {
  readonly answer: Buffer | EndlessAnswer | ((invoice: string) => Buffer);
  readonly expect: HostileExpectation;
}

const PROTOCOL: HostileExpectation = { result: 'ERROR', code: 'PROTOCOL', outcome: 'unknown' };
const TEN_MB = 10 * 1024 * 1024;

/**
 * name → { answer: Buffer, or { stream: prefix, fill: byte } for 10 MB with no end; expect }.
 * `expect` is what the client must make of it.
 */
export const CASES: Readonly<Record<string, HostileCase>> = {
  'doctype-entities': {
    answer: bytes(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE payresp [\n  <!ENTITY ok "OK">\n  <!ENTITY ext SYSTEM "file:///etc/passwd">\n]>\n',
      '<payresp><result>&ok;</result><ref>&ext;</ref></payresp>\n',
    ),
    expect: PROTOCOL,
  },
  'doctype-inside-root': { answer: bytes('<payresp><!DOCTYPE x [<!ENTITY a "OK">]><result>&a;</result><ref>1</ref></payresp>'), expect: PROTOCOL },
  'billion-laughs': { answer: bytes(laughs), expect: PROTOCOL },
  'entity-refs-without-doctype': { answer: bytes('<payresp><result>OK</result><ref>&lol9;&lol9;&lol9;</ref></payresp>'), expect: PROTOCOL },
  'nesting-1000-in-reply': {
    answer: bytes('<payresp>', '<a>'.repeat(1000), 'x', '</a>'.repeat(1000), '<result>OK</result><ref>1</ref></payresp>'),
    expect: PROTOCOL,
  },
  'nesting-1000-root': { answer: bytes('<payresp>'.repeat(1000), '</payresp>'.repeat(1000)), expect: PROTOCOL },
  'huge-10mb-text': { answer: { stream: '<payresp><result>OK</result><ref>', fill: 0x39 }, expect: PROTOCOL },
  'huge-10mb-comment': { answer: { stream: '<!--', fill: 0x2d }, expect: PROTOCOL },
  'huge-10mb-cdata': { answer: { stream: '<payresp><result>OK</result><ref><![CDATA[', fill: 0x3c }, expect: PROTOCOL },
  'proto-element-nested': { answer: bytes('<payresp><result>OK</result><ref>1</ref><__proto__><polluted>yes</polluted></__proto__></payresp>'), expect: PROTOCOL },
  'proto-element-leaf': { answer: bytes('<payresp><__proto__>polluted</__proto__><result>OK</result><ref>1</ref></payresp>'), expect: PROTOCOL },
  'proto-root': { answer: bytes('<__proto__><polluted>yes</polluted><result>OK</result></__proto__>'), expect: PROTOCOL },
  'constructor-prototype': {
    answer: bytes('<payresp><constructor><prototype><polluted>yes</polluted></prototype></constructor><result>OK</result><ref>1</ref></payresp>'),
    expect: PROTOCOL,
  },
  'constructor-root': { answer: bytes('<constructor><prototype>polluted</prototype></constructor>'), expect: PROTOCOL },
  // Attributes are ignored by the parser: the reply is otherwise a plain OK, and nothing leaks.
  // (Its ref names the request, as a terminal's refs are unique.)
  'proto-attributes': {
    answer: (invoice) => bytes(`<payresp __proto__="polluted" constructor="x"><result>OK</result><ref>ATTR-${invoice}</ref></payresp>`),
    expect: { result: 'OK', refPrefix: 'ATTR-' },
  },
  'invalid-utf8-ff': { answer: withRef([0xff, 0xfe, 0x41]), expect: PROTOCOL },
  'invalid-utf8-overlong': { answer: withRef([0xc0, 0xaf]), expect: PROTOCOL },
  'invalid-utf8-surrogate': { answer: withRef([0xed, 0xa0, 0x80]), expect: PROTOCOL },
  'invalid-utf8-truncated': { answer: withRef([0xe2, 0x82]), expect: PROTOCOL },
  // The app's "Hibás XML" in Latin-1 instead of UTF-8: not readable, so not a BAD_XML either.
  'latin1-hibas-xml': { answer: bytes('<payresp><result>ERROR</result><ref>Hib', [0xe1], 's XML</ref></payresp>'), expect: PROTOCOL },
};

function answerFor(invoice: string): Buffer | EndlessAnswer {
  const name = invoice.split('#')[0];
  const answer = (Object.hasOwn(CASES, name) ? CASES[name].answer : undefined) ?? withRef(`NORMAL-${invoice}`);
  return typeof answer === 'function' ? answer(invoice) : answer;
}

/** Writes `prefix` then `fill` bytes up to 10 MB, minding backpressure, until done or closed. */
function stream(socket: net.Socket, { stream: prefix, fill }: EndlessAnswer): void {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let written = 0;
  socket.write(prefix);
  const pump = () => {
    while (!socket.destroyed && written < TEN_MB) {
      written += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

function serve(): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let match;
      while ((match = /<invoice>([^<]*)<\/invoice>[\s\S]*?<\/(pay|refund|preauth)>/.exec(buffer))) {
        buffer = buffer.slice(match.index + match[0].length);
        const invoice = match[1];
        process.stdout.write(`RECV ${invoice}\n`);
        const answer = answerFor(invoice);
        if (Buffer.isBuffer(answer)) socket.write(answer);
        else stream(socket, answer);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${(server.address() as net.AddressInfo).port}\n`));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0)); // the parent went away
}

/** The hostile server running in its child process. */
export interface HostileServer {
  readonly port: number;
  /** invoice → how many times it was received. */
  readonly received: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Starts the server in a child process; resolves with { port, received: Map invoice → count, stop }.
 */
export function startHostileServer(): Promise<HostileServer> {
  const child = spawn(process.execPath, typeScriptChild(__filename), { stdio: ['pipe', 'pipe', 'inherit'] });
  const received = new Map<string, number>();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let pending = '';
    child.once('exit', (code) => reject(new Error(`hostile server exited with ${code}`)));
    child.stdout.on('data', (data: Buffer) => {
      pending += data.toString('utf8');
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.startsWith('PORT ')) {
          resolve({
            port: Number(line.slice(5)),
            received,
            async stop() {
              child.stdin.end();
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
              await exited;
            },
          });
        } else if (line.startsWith('RECV ')) {
          const invoice = line.slice(5);
          received.set(invoice, (received.get(invoice) ?? 0) + 1);
        }
      }
    });
  });
}

if (require.main === module) serve();
