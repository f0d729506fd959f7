/**
 * Robustness of the action nodes in a real Node-RED runtime against the TerminalSimulator on
 * 127.0.0.1 (test/support/robustness-runtime.ts), 1: every internal step of a transaction made to
 * throw, in turn. Each input still gets exactly one output, with the outcome the step's place
 * implies (not-sent before the wire, unknown after; a failing status or log line changes nothing),
 * the node keeps working, and nothing escapes as an uncaughtException or unhandledRejection.
 */
import assert from 'node:assert/strict';
import type { Connection, ErrorCode, Outcome, SimulatorBehaviour } from '../src';
import type { ClientStepForTests } from '../src/client/terminal-client';
import type { JournalStepForTests } from '../src/journal/journal';
import type { NodeStatus } from '../nodes/node-red';
import { waitFor } from './support/wait';
import { PassThroughTransport } from './support/pass-through-transport';
import type { Connect } from './support/pass-through-transport';
import { deploy, expectError, expectNodeRedUp, expectOk, expectStillWorks, invoice, oneOutput, simulator, useRobustnessRuntime, warnings, watchStatus } from './support/robustness-runtime';
import type { Deployed, Output } from './support/robustness-runtime';

/** An injected failure's undo, carrying what it recorded: the calls it caught, or the statuses tried. */
type Undo = (() => unknown) & { readonly calls?: readonly unknown[]; readonly seen?: readonly NodeStatus[] };

/** What a case's inject() and check() get: the deployed flow's parts, and (for check) the undo. */
interface Ctx extends Deployed {
  undo?: Undo;
}

/** How an injected step fails, given its name: it throws, or it returns a rejected promise. */
type Failing = (name: string) => unknown;
const throws: Failing = (name) => {
  throw new Error(`injected: ${name} threw`);
};
const rejects: Failing = (name) => Promise.reject(new Error(`injected: ${name} rejected`));

/** A step named `name` that records its calls in `calls` and fails as `fails` says. */
const failingStep =
  (name: string, fails: Failing, calls: unknown[][]) =>
  (...args: unknown[]): unknown => {
    calls.push(args);
    return fails(name);
  };

/**
 * An injection for CASES, for a property of a Node-RED node of the flow: the config node's
 * `submit` (TerminalConfigNode.submit, how the action nodes hand it a request) or the pay node's
 * `warn` (Node-RED's). For one case, target(ctx)[method] records its calls and fails as `fails`
 * says. Returns the undo, carrying the calls.
 */
function replacing<T extends object>(pick: (ctx: Ctx) => T, method: keyof T & string, fails: Failing): (ctx: Ctx) => Undo {
  return (ctx) => {
    const target = pick(ctx);
    const own = Object.getOwnPropertyDescriptor(target, method);
    const calls: unknown[][] = [];
    Object.assign(target, { [method]: failingStep(method, fails, calls) });
    const undo = () => (own ? Object.defineProperty(target, method, own) : Reflect.deleteProperty(target, method));
    return Object.assign(undo, { calls });
  };
}
const throwing = <T extends object>(pick: (ctx: Ctx) => T, method: keyof T & string) => replacing(pick, method, throws);
const rejecting = <T extends object>(pick: (ctx: Ctx) => T, method: keyof T & string) => replacing(pick, method, rejects);

/**
 * The same for one of the journal's steps, through its test-only seam
 * (Journal.replaceStepForTests): the step records its calls and fails as `fails` says.
 */
const journalStep =
  (step: JournalStepForTests, fails: Failing) =>
  ({ journal }: Ctx): Undo => {
    const calls: unknown[][] = [];
    const undo = journal.replaceStepForTests(step, () => failingStep(step, fails, calls));
    return Object.assign(undo, { calls });
  };

/**
 * The same for one of the client's internal steps, through its test-only seam
 * (TerminalClient.replaceStepForTests): the step records its calls and throws.
 */
const throwingStep =
  (step: ClientStepForTests) =>
  ({ client }: Ctx): Undo => {
    const calls: unknown[][] = [];
    const undo = client.replaceStepForTests(step, () => failingStep(step, throws, calls));
    return Object.assign(undo, { calls });
  };

/**
 * The same for the transport of the config node's client: through the client's test-only seam
 * (TerminalClient.replaceTransportForTests), a PassThroughTransport in front of its real
 * TcpTransport, whose connect is what `replace` makes of the real one (handed the calls to record).
 */
const throughTransport =
  (replace: (connect: Connect, calls: unknown[][]) => Connect) =>
  ({ client }: Ctx): Undo => {
    const calls: unknown[][] = [];
    const undo = client.replaceTransportForTests((transport) => {
      const through = new PassThroughTransport(transport);
      through.replaceConnect((connect) => replace(connect, calls));
      return through;
    });
    return Object.assign(undo, { calls });
  };
/** The transport's connect records its calls and fails as `fails` says. */
const failingConnect = (fails: Failing) =>
  throughTransport(
    (_connect, calls) =>
      (...args) =>
        failingStep('connect', fails, calls)(...args) as Promise<Connection>,
  );

/** A case of CASES (see there). */
interface Case {
  name: string;
  config?: Record<string, string>;
  sim?: SimulatorBehaviour;
  inject: (ctx: Ctx) => Undo;
  expect: 'OK' | [ErrorCode, Outcome];
  received: number;
  check?: (ctx: Ctx & { undo: Undo }, out: Output) => unknown;
}

describe('robustness: the action nodes in Node-RED (simulator on 127.0.0.1)', function () {
  this.timeout(15000);

  useRobustnessRuntime();

  describe('1. every internal step made to throw, in turn', function () {
    /** Config for these cases: short answer timeout and late-answer window, as the editor saves them. */
    const FAST = { responseTimeout: '1', lateAnswerWindow: '0.1' };
    const LATE = { responseTimeout: '1', lateAnswerWindow: '3' };
    const covered = new Set<string>();

    const once = (fn: (...args: unknown[]) => unknown) => {
      let thrown = false;
      return function (this: unknown, ...args: unknown[]) {
        if (!thrown) {
          thrown = true;
          throw new Error('injected: failed once');
        }
        return fn.apply(this, args);
      };
    };

    /**
     * Each case: `inject(ctx)` patches one step and returns the function that undoes it; `sim`
     * is the simulator's behaviour for the first request; `expect` the output: 'OK', or
     * [code, outcome]; `received` how many requests reached the simulator with the first
     * message; `check(ctx, out)` anything more.
     */
    const CASES: Case[] = [
      {
        name: "the config node's submit throws synchronously",
        inject: throwing(({ cfg }) => cfg, 'submit'),
        // The node cannot know how far a failing submit got: the cautious answer.
        expect: ['PROTOCOL', 'unknown'],
        received: 0,
      },
      {
        name: "the config node's submit returns a rejected promise",
        inject: rejecting(({ cfg }) => cfg, 'submit'),
        expect: ['PROTOCOL', 'unknown'],
        received: 0,
        check: (_ctx, out) => assert.match(out.msg.payload.message ?? '', /injected: submit rejected/),
      },
      {
        name: 'journal.whenUsable throws synchronously',
        inject: journalStep('whenUsable', throws),
        expect: ['JOURNAL', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.whenUsable rejects',
        inject: journalStep('whenUsable', rejects),
        expect: ['JOURNAL', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.refusal throws',
        inject: journalStep('refusal', throws),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.begin throws synchronously',
        inject: journalStep('begin', throws),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.begin rejects',
        inject: journalStep('begin', rejects),
        expect: ['JOURNAL', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.end throws synchronously',
        inject: journalStep('end', throws),
        expect: 'OK',
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls?.length, 1, 'journal.end was called (and threw)'),
      },
      {
        name: 'journal.end rejects',
        inject: journalStep('end', rejects),
        expect: 'OK',
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls?.length, 1, 'journal.end was called (and rejected)'),
      },
      {
        name: 'journal.late throws when the late answer arrives',
        config: LATE,
        sim: { delayMs: 1500 },
        inject: journalStep('late', throws),
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: async ({ undo, journal, client }, out) => {
          await waitFor(() => undo.calls?.length === 1, 'the late answer to reach journal.late', 3000);
          await client.idle();
          // Not recorded, so still unresolved: the safe side.
          assert.deepEqual(
            journal.unresolved.map((e) => e.invoice),
            [out.msg.payload.invoice],
          );
        },
      },
      {
        name: "the transport's connect throws synchronously",
        inject: failingConnect(throws),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: "the transport's connect rejects",
        inject: failingConnect(rejects),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: "the connection's write throws",
        inject: throughTransport((connect) => async (...args) => {
          const connection = await connect(...args);
          return {
            write() {
              throw new Error('injected: write threw');
            },
            destroy: () => connection.destroy(),
          };
        }),
        // It was about to go on the wire: nobody can say it did not.
        expect: ['PROTOCOL', 'unknown'],
        received: 0,
      },
      {
        name: "onPhase: the node's status throws on every call (approval)",
        inject: ({ pay }) => {
          const seen = watchStatus(pay, { fail: true });
          return Object.assign(() => Reflect.deleteProperty(pay, 'status'), { seen });
        },
        expect: 'OK',
        received: 1,
        check: ({ undo }) => {
          const texts = (undo.seen ?? []).map((s) => s.text);
          assert.ok(
            texts.some((t) => /waiting for terminal/.test(t ?? '')),
            `onPhase tried to show the wait (${texts})`,
          );
          assert.ok(
            texts.some((t) => /approved/.test(t ?? '')),
            `the result status was tried (${texts})`,
          );
        },
      },
      {
        name: "the node's status throws on every call (unknown outcome, journal change listener)",
        sim: { fault: 'garbage' },
        inject: ({ pay }) => {
          const seen = watchStatus(pay, { fail: true });
          return Object.assign(() => Reflect.deleteProperty(pay, 'status'), { seen });
        },
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
        check: ({ undo }) =>
          assert.ok(
            undo.seen?.some((s) => /outcome unknown|check terminal/.test(s.text ?? '')),
            'the unknown outcome status was tried',
          ),
      },
      {
        name: 'node.warn throws for an unknown outcome (unreadable answer)',
        sim: { fault: 'garbage' },
        inject: throwing(({ pay }) => pay, 'warn'),
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls?.length, 1, 'the warning was tried once'),
      },
      {
        name: 'the response timer path: TIMEOUT with node.warn throwing',
        config: FAST,
        sim: { fault: 'silent' },
        inject: throwing(({ pay }) => pay, 'warn'),
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls?.length, 1, 'the warning was tried once'),
      },
      {
        name: "the response timer's own work throws once (client.endUnknown)",
        config: FAST,
        sim: { fault: 'silent' },
        inject: ({ client }) => {
          return client.replaceStepForTests('endUnknown', (original) => once(original));
        },
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: "the response timer's own work always throws (client.endUnknown)",
        config: FAST,
        sim: { fault: 'silent' },
        inject: throwingStep('endUnknown'),
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: 'the confirmation timer throws (client.confirm)',
        inject: throwingStep('confirm'),
        // The terminal had answered, but the client could not confirm the answer.
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: "the link's data handler throws (client.onAnswer)",
        inject: throwingStep('onAnswer'),
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: "a listener in the client's stateListeners throws",
        inject: ({ client }) => {
          const calls: unknown[] = [];
          const stop = client.onConnectionState((state) => {
            calls.push(state);
            throw new Error('injected: state listener threw');
          });
          return Object.assign(stop, { calls });
        },
        expect: 'OK',
        received: 1,
        check: ({ undo }) => assert.ok(undo.calls?.includes('connected'), `the listener was called (${undo.calls})`),
      },
      {
        name: "a listener in the client's lateListeners throws (late answer)",
        config: LATE,
        sim: { delayMs: 1500 },
        inject: ({ client }) => {
          const calls: unknown[] = [];
          const stop = client.onLateAnswer((late) => {
            calls.push(late);
            throw new Error('injected: late listener threw');
          });
          return Object.assign(stop, { calls });
        },
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: async ({ undo, journal, client }, out) => {
          await waitFor(() => undo.calls?.length === 1, 'the late answer', 3000);
          await client.idle();
          const inv = out.msg.payload.invoice;
          // The node's own late listener still ran, and the journal recorded the answer.
          await waitFor(() => warnings().some((w) => w.id === 'pay' && /Late answer/.test(w.msg) && w.msg.includes(String(inv))), 'the late-answer warning');
          await waitFor(() => journal.unresolved.length === 0, 'the late answer recorded');
        },
      },
      {
        name: "the node's late-answer warning throws (node.warn on the late answer)",
        config: LATE,
        sim: { delayMs: 1500 },
        inject: throwing(({ pay }) => pay, 'warn'),
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: async ({ undo, client, journal }) => {
          await waitFor(() => undo.calls?.some((m) => /Late answer/.test(String(m))), 'the late-answer warning to be tried', 3000);
          await client.idle();
          await waitFor(() => journal.unresolved.length === 0, 'the late answer recorded');
        },
      },
    ];

    for (const kase of CASES) {
      it(`${kase.name} -> ${kase.expect === 'OK' ? 'the normal approval' : kase.expect.join('/')}, one output, Node-RED stays up`, async function () {
        const deployed = await deploy(kase.config ?? FAST);
        if (kase.sim) simulator().nextBehaviours.push(kase.sim);
        const ctx = Object.assign(deployed, { undo: kase.inject(deployed) });
        const inv = invoice('INJ');
        ctx.pay.receive({ payload: '2.50', invoice: inv });
        const out = await oneOutput();
        if (kase.expect === 'OK') {
          const msg = expectOk(out);
          assert.equal(msg.payload.invoice, inv);
        } else {
          const msg = expectError(out, ...kase.expect);
          if (kase.expect[1] === 'unknown') assert.match(msg.payload.message ?? '', /may have gone through/);
          if (kase.expect[1] === 'not-sent') assert.match(msg.payload.message ?? '', /Nothing was sent/);
        }
        if (kase.check) await kase.check(ctx, out);
        assert.equal(simulator().received.length, kase.received, 'requests that reached the terminal');
        ctx.undo();
        await expectStillWorks(ctx.client, kase.received);
        await expectNodeRedUp();
        covered.add(kase.name);
      });
    }

    after(function () {
      console.log(`      injection points covered: ${covered.size} of ${CASES.length} passed`);
    });
  });
});
