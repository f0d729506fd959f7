/**
 * The fault-injection suite (see faults-tcp.test.ts): hostile input messages through the client:
 * every input rule, 1 MB inputs (each in a child process, so that a blocked event loop can be
 * killed), and values that look like XML but are legitimately accepted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Action, ActionFields } from '../src';
import { ACTION_SPECS, parseFlatXml } from '../src/protocol';
import type { TcpEnv } from './support/fault-env';
import { baseline, expectResources, freePort, tcpEnv } from './support/fault-env';
import type { ResourceCounts } from './support/resources';
import { EVENT_LOOP_BOUND_MS, describeResult, lastCount, needsCode, send, unique } from './support/fault-cases';
import type { LongInputRun } from './support/long-input-child';
import { INPUTS as LONG_INPUTS, LONG_INPUT_READY } from './support/long-input-child';
import { CHILDREN } from './support/request-layout';
import { typeScriptChild } from './support/typescript-child';

const MB_STRING = 'A'.repeat(1024 * 1024);

/** [label, action, fields, field the message must name]: each must be INVALID_INPUT / not-sent. */
type RejectedInput = [label: string, action: Action, fields: ActionFields, field: RegExp];
/** [label, value]. */
type Value = [label: string, value: unknown];

function rejectedInputs(): RejectedInput[] {
  const amountCases: Value[] = [
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
    ['zero', 0],
    ['"0.00"', '0.00'],
    ['-1', -1],
    ['"-1"', '-1'],
    ['"-0.01"', '-0.01'],
    ['-0', -0],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['"1e3"', '1e3'],
    ['"1E-2"', '1E-2'],
    ['".5e1"', '.5e1'],
    ['1e21', 1e21],
    ['1e-7', 1e-7],
    ['"12,50"', '12,50'],
    ['"1,000.00"', '1,000.00'],
    ['"12.505"', '12.505'],
    ['12.505', 12.505],
    ['0.001', 0.001],
    ['"1.2.3"', '1.2.3'],
    ['"abc"', 'abc'],
    ['"0x10"', '0x10'],
    ['"+5"', '+5'],
    ['"5 5"', '5 5'],
    ['Arabic-Indic digits', '١٢'],
    ['fullwidth digits', '１２'],
    ['injection', '12.50</sum><sum>0.01'],
    ['"5]]>"', '5]]>'],
    ['quote', '5"'],
    ['apostrophe', "5'"],
    ['newline inside', '5\n0'],
    ['NUL', '\u00005'],
    ['escape sequence', '\u001b[31m5'],
    ['13 integer digits', '1234567890123'],
    ['an object', {}],
    ['an object with amount', { amount: 5 }],
    ['an array', [5]],
    ['an array of a string', ['5']],
    ['a function', () => 5],
    ['a Symbol', Symbol('5')],
    ['a BigInt', 5n],
    ['true', true],
    ['a Number object', Object(5)],
    ['a String object', Object('5')],
    ['a Buffer', Buffer.from('5')],
    ['a Date', new Date()],
    ['a 1 MB string of letters', MB_STRING],
  ];
  const referenceCases: Value[] = [
    ['empty', ''],
    ['a space', ' '],
    ['a leading space', ' A'],
    ['a trailing space', 'A '],
    ['51 characters', 'A'.repeat(51)],
    ['é', 'Café-1'],
    ['€', '€1'],
    ['a newline', 'A\nB'],
    ['a CR', 'A\rB'],
    ['a tab', 'A\tB'],
    ['NUL', 'A\u0000B'],
    ['an escape sequence', 'A\u001b[31m'],
    ['DEL', 'A\u007f'],
    ['NEL', 'A\u0085'],
    ['LINE SEPARATOR', 'A\u2028B'],
    ['a lone surrogate', 'A\ud800'],
    ['an emoji', 'A💳'],
    ['injection with a newline', '1</invoice>\n<sum>0.01</sum>'],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['2^53', 2 ** 53],
    ['true', true],
    ['an object', {}],
    ['an empty array', []],
    ['an array', ['A']],
    ['a function', () => 'A'],
    ['a Symbol', Symbol('A')],
    ['a BigInt', 5n],
    ['a String object', Object('A')],
    ['a Buffer', Buffer.from('A')],
    ['a 1 MB string', MB_STRING],
  ];
  const receiptCases: Value[] = [
    ['lower case', 'on'],
    ['mixed case', 'On'],
    ['YES', 'YES'],
    ['empty', ''],
    ['a leading space', ' ON'],
    ['a trailing space', 'ON '],
    ['injection', 'ON</receipt><x>'],
    ['1', 1],
    ['true', true],
    ['an object', {}],
    ['an array', ['ON']],
    ['a Symbol', Symbol('ON')],
    ['a 1 MB string', MB_STRING],
  ];
  const cases: RejectedInput[] = [];
  for (const [label, value] of amountCases) {
    cases.push([`pay amount ${label}`, 'pay', { amount: value, invoice: unique('IN') }, /^amount /]);
  }
  for (const action of ['refund', 'preauth', 'complete'] as const) {
    for (const [label, value] of [
      ['missing', undefined],
      ['zero', 0],
      ['"12,50"', '12,50'],
      ['an object', {}],
      ['injection', '1</sum><sum>2'],
    ] satisfies Value[]) {
      cases.push([`${action} amount ${label}`, action, { amount: value, invoice: unique('IN'), preauthcode: 'CODE-1' }, /^amount /]);
    }
  }
  for (const [label, value] of referenceCases) {
    cases.push([`pay invoice ${label}`, 'pay', { amount: '1.00', invoice: value }, /^invoice /]);
  }
  for (const action of ['refund', 'preauth'] as const) {
    for (const [label, value] of [
      ['51 characters', 'B'.repeat(51)],
      ['a newline', 'A\nB'],
      ['an object', {}],
    ] satisfies Value[]) {
      cases.push([`${action} invoice ${label}`, action, { amount: '1.00', invoice: value }, /^invoice /]);
    }
  }
  for (const action of ['complete', 'cancel'] as const) {
    for (const [label, value] of [['missing', undefined], ['null', null], ...referenceCases] satisfies Value[]) {
      cases.push([`${action} preauthcode ${label}`, action, { amount: '1.00', preauthcode: value }, /^preauthcode /]);
    }
  }
  for (const field of ['receipt', 'custrcpt']) {
    for (const [label, value] of receiptCases) {
      cases.push([`pay ${field} ${label}`, 'pay', { amount: '1.00', invoice: unique('IN'), [field]: value }, new RegExp(`^${field} `)]);
    }
    cases.push([`cancel ${field} injection`, 'cancel', { preauthcode: 'CODE-1', [field]: 'OFF"/><x y="' }, new RegExp(`^${field} `)]);
  }
  return cases;
}

/**
 * Values that are legitimately accepted although they look like XML: [label, action, fields, the
 * request the terminal must receive]. Nothing may be injected: exactly the intended children.
 */
type AcceptedInput = [label: string, action: Action, fields: ActionFields, intended: Record<string, string | undefined>];

function acceptedInputs(): AcceptedInput[] {
  const invoices: [label: string, invoice: string][] = [
    ['an element injection', 'A</invoice><sum>0.01</sum>'],
    ['a closing root', '</pay><pay><invoice>X'],
    ['a CDATA end', ']]>'],
    ['a CDATA section', '<![CDATA[x]]>'],
    ['quotes', `"quoted" and 'single'`],
    ['entity-like text', '&amp;&lt;&#65;&#x41;&lol;'],
    ['a comment', '<!--x-->'],
    ['a declaration', '<?xml version="1.0"?>'],
    ['a DOCTYPE', '<!DOCTYPE pay [<!ENTITY a "b">]>'],
    ['format strings', '%s%n{0}${x}'],
    ['a backslash', 'C:\\x\\'],
    ['50 characters', 'Z'.repeat(50)],
    ['all punctuation', '~!@#$%^&*()_+`-=[]{}|;:,./<>?'],
  ];
  const cases = invoices.map(([label, invoice], i): AcceptedInput => [
    `pay invoice with ${label}`,
    'pay',
    { amount: `${i + 1}.00`, invoice: `${invoice}`.slice(0, 50) },
    { action: 'pay', invoice: `${invoice}`.slice(0, 50), sum: `${i + 1}.00`, receipt: 'ON', custrcpt: 'ON' },
  ]);
  const n = 100000 + (process.pid % 100000) * 10 + (lastCount() % 10);
  cases.push(
    ['pay invoice as a whole number', 'pay', { amount: 1, invoice: n }, { action: 'pay', invoice: String(n), sum: '1.00', receipt: 'ON', custrcpt: 'ON' }],
    ['refund amount with spaces around it', 'refund', { amount: ' 12.50 ', invoice: unique('SP') }, { action: 'refund', sum: '12.50', receipt: 'ON', custrcpt: 'ON' }],
    [
      'preauth amount 0.1 + 0.2',
      'preauth',
      { amount: 0.1 + 0.2, invoice: unique('FP'), receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' },
      { action: 'preauth', sum: '0.30', receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' },
    ],
    ['pay amount with leading zeros', 'pay', { amount: '0012.5', invoice: unique('LZ') }, { action: 'pay', sum: '12.50', receipt: 'ON', custrcpt: 'ON' }],
    [
      'complete with a code that injects a sum',
      'complete',
      { amount: '1.00', preauthcode: 'X</preauthcode><sum>999.00</sum>' },
      { action: 'complete', preauthCode: 'X</preauthcode><sum>999.00</sum>', sum: '1.00', receipt: 'ON', custrcpt: 'ON' },
    ],
    ['cancel with a code holding quotes and ]]>', 'cancel', { preauthcode: `"]]>'` }, { action: 'cancel', preauthCode: `"]]>'`, receipt: 'ON', custrcpt: 'ON' }],
  );
  return cases;
}

describe('faults: hostile input messages through the client', function () {
  this.timeout(20000);

  describe('refused: INVALID_INPUT / not-sent, nothing reaches the terminal', () => {
    let e: TcpEnv;
    let startCounts: ResourceCounts;
    before(async () => {
      startCounts = await baseline();
      e = await tcpEnv({ clientOptions: { maxAmount: '500.00' } });
    });
    after(async () => {
      // Not one of them opened even a connection.
      assert.equal(e.accepted, 0, 'no connection was opened for any refused input');
      assert.equal(e.log.received.length, 0);
      await e.close();
      await expectResources(startCounts, 'after the refused inputs');
    });

    const cases: RejectedInput[] = [
      ...rejectedInputs(),
      ['pay amount above maxAmount (500.01)', 'pay', { amount: '500.01', invoice: unique('MAX') }, /^amount is 500\.01, above this terminal's limit/],
      ['pay amount above maxAmount (1000 as a number)', 'pay', { amount: 1000, invoice: unique('MAX') }, /^amount is 1000\.00, above this terminal's limit/],
    ];
    for (const [label, action, fields, field] of cases) {
      it(`${label}`, async () => {
        const sent = await send(e.client, action, fields);
        const { result } = sent;
        assert.equal(result.result, 'ERROR', describeResult(result));
        assert.ok(result.result === 'ERROR'); // as asserted just above; narrows to a failure
        assert.equal(result.code, 'INVALID_INPUT', describeResult(result));
        assert.equal(result.outcome, 'not-sent');
        assert.equal(result.action, action);
        assert.match(result.message, field, 'the message names the field');
        assert.match(result.message, /Nothing was sent\.$/);
        // The message quotes the input safely: printable, short, no raw control characters.
        assert.match(result.message, /^[\x20-\x7e…]*$/, `the message is printable: ${JSON.stringify(result.message)}`);
        assert.ok(result.message.length < 400, `the message is short (${result.message.length} characters)`);
        assert.deepEqual(sent.phases, [], 'not even a connection was attempted');
        assert.equal(e.log.received.length, 0);
      });
    }
  });

  describe('1 MB inputs are refused without blocking the event loop (each in a child process)', () => {
    const expected = {
      'amount-1mb-digits': 'INVALID_INPUT',
      // 1.00 with a million leading zeros: a length limit may refuse it, or it is accepted (then
      // nothing listens on the port).
      'amount-1mb-leading-zeros': ['INVALID_INPUT', 'CONNECT'],
      'amount-1mb-fraction-zeros': 'INVALID_INPUT',
      'amount-1mb-letters': 'INVALID_INPUT',
      'amount-1mb-digits-then-exponent': 'INVALID_INPUT',
      'invoice-1mb': 'INVALID_INPUT',
      'receipt-1mb': 'INVALID_INPUT',
    };
    const KILL_AFTER_MS = 5000;
    const runs: Record<string, LongInputRun | { killed: true } | undefined> = {};

    before(async function () {
      this.timeout(Object.keys(LONG_INPUTS).length * KILL_AFTER_MS + 10000);
      const port = await freePort();
      // All loaded first (tsx compiles each child's sources as it starts, which takes seconds on a
      // loaded machine): the time limit is for the input rules, not for a start-up.
      const children = await Promise.all(
        Object.keys(LONG_INPUTS).map(async (name) => {
          const child = spawn(process.execPath, typeScriptChild(path.join(__dirname, 'support', 'long-input-child.ts'), name, String(port)), {
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          child.stdin.on('error', () => undefined); // a child that died early: its result fails below
          let stdout = '';
          const exited = new Promise((resolve) => child.once('exit', resolve));
          const ready = new Promise<void>((resolve) => {
            child.stdout.on('data', (data: Buffer) => {
              stdout += data.toString();
              if (stdout.startsWith(`${LONG_INPUT_READY}\n`)) resolve();
            });
          });
          await Promise.race([ready, exited]);
          return { name, child, exited, output: () => stdout.slice(LONG_INPUT_READY.length) };
        }),
      );
      // One at a time: what a child measures is its own pay, not its siblings' work on two cores.
      for (const { name, child, exited, output } of children) {
        let killed = false;
        const timer = setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, KILL_AFTER_MS);
        child.stdin.end('go\n');
        await exited;
        clearTimeout(timer);
        runs[name] = killed ? { killed } : (JSON.parse(output().trim()) as LongInputRun);
      }
    });

    for (const [name, code] of Object.entries(expected)) {
      it(`${name} -> ${[code].flat().join(' or ')}, with client.pay returning within ${EVENT_LOOP_BOUND_MS} ms`, () => {
        const run = runs[name];
        assert.ok(run, `${name} ran`);
        assert.ok(!('killed' in run), `client.pay({ ${name} }) was still running after ${KILL_AFTER_MS / 1000} s (the input rules block the event loop)`);
        console.log(`        ${name}: ${run.code} in ${run.ms.toFixed(1)} ms (message ${run.messageLength} characters)`);
        assert.ok([code].flat().includes(run.code), `${name}: ${run.code}, expected ${[code].flat().join(' or ')}`);
        assert.ok(run.ms < EVENT_LOOP_BOUND_MS, `client.pay blocked for ${run.ms.toFixed(1)} ms`);
        assert.ok(run.messageLength < 400, 'the message does not echo the input');
      });
    }
  });

  describe('accepted although they look like XML: the terminal receives exactly the intended fields', () => {
    let e: TcpEnv;
    let startCounts: ResourceCounts;
    before(async () => {
      startCounts = await baseline();
      e = await tcpEnv();
    });
    after(async () => {
      await e.close();
      await expectResources(startCounts, 'after the accepted inputs');
    });

    for (const [label, action, fields, intended] of acceptedInputs()) {
      it(label, async () => {
        const count = e.log.received.length;
        const { result } = await send(e.client, action, fields);
        assert.equal(e.log.received.length, count + 1, 'exactly one request reached the terminal');
        const received = e.log.received[count];
        const request = { ...received.request };
        // Generated or given invoices: compare with what the result reports.
        const want = { ...intended };
        if (ACTION_SPECS[action].hasInvoice && want.invoice === undefined) want.invoice = result.invoice;
        assert.deepEqual(request, want, `received ${JSON.stringify(received.xml)}`);
        if (fields.invoice !== undefined) assert.equal(result.invoice, String(fields.invoice));
        if (fields.preauthcode !== undefined) assert.equal(result.preauthcode, fields.preauthcode);
        // Exactly the seed's children, in the seed's order: nothing injected.
        const document = parseFlatXml(received.xml);
        assert.equal(document.root, ACTION_SPECS[action].requestRoot);
        assert.deepEqual([...document.fields.keys()], CHILDREN[action]);
        assert.equal((received.xml.match(/</g) ?? []).length, 3 + 2 * CHILDREN[action].length, `no markup beyond the request's own: ${received.xml}`);
        assert.doesNotMatch(received.xml.replace(/^<\?xml[^>]*\?>/, ''), /<[!?]/, 'no declaration, comment or CDATA after the prolog');
        if (needsCode(action)) assert.equal(result.result === 'ERROR' ? result.code : undefined, 'TERMINAL', 'an unknown code is NO_DATA_FOUND on the terminal');
        else assert.equal(result.result, 'OK', describeResult(result));
      });
    }
  });
});
