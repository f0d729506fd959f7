import { ACTIONS, Action, DEFAULT_RECEIPT_MODE, ERROR_OUTCOMES, RequestDraft, TransactionResult, errorText, explain, failure } from '../src/protocol';
import { allowDuplicateOf, applyResult, localized, resolveDraft, submitMessage } from './message';
import {
  describeLateAnswer,
  describeUnknown,
  statusAfterResult,
  statusConnecting,
  statusForConnection,
  statusForDamagedJournal,
  statusForLateAnswer,
  statusForReadiness,
  statusForUnresolved,
  statusNoTerminal,
  statusWaiting,
} from './statuses';
import { evaluatorFor, sourcesFromDefinition } from './typed-inputs';
import type { LateAnswer } from '../src/client/terminal-client';
import { TerminalConfigNode, unresolvedFor } from './terminal-settings';
import { t, useMessageCatalog } from './i18n';
import { Node, NodeAPI, NodeDefinition, NodeStatus } from './node-red';

/** The five action nodes: each turns a message into one request and its result into one message. */

const TYPE_PREFIX = 'mypos-';

export = function register(RED: NodeAPI): void {
  useMessageCatalog(RED);
  for (const action of ACTIONS) {
    RED.nodes.registerType(`${TYPE_PREFIX}${action}`, function (this: Node, definition: NodeDefinition) {
      RED.nodes.createNode(this, definition);
      setUpActionNode(RED, this, definition, action);
    });
  }
};

function setUpActionNode(RED: NodeAPI, node: Node, definition: NodeDefinition, action: Action): void {
  const terminal = RED.nodes.getNode(typeof definition.terminal === 'string' ? definition.terminal : '') as TerminalConfigNode | null;
  const receipt = definition.receipt ?? DEFAULT_RECEIPT_MODE;
  const custrcpt = definition.custrcpt ?? DEFAULT_RECEIPT_MODE;
  // Typed inputs for amount, invoice and preauthcode; a flow saved without them reads the defaults.
  const sources = sourcesFromDefinition(definition);
  const evaluate = evaluatorFor(RED, node);
  /** This node's messages whose results are not sent yet. */
  const inFlight = new Set<Promise<void>>();
  let closing = false;
  const stops: (() => void)[] = [];

  /** The journal this node's requests are written to: the terminal's (another config node's, if it set the terminal up). */
  const journal = () => terminal?.client?.journal ?? terminal?.journal;
  /** What needs a person at this node's terminal. */
  const unresolvedHere = () => (terminal ? unresolvedFor(terminal) : []);
  // A request's phases and result are each shown (a status node hears every one); what the node
  // shows while idle is drawn again only when it changes, so a status node (a kiosk screen) hears
  // it once however often the journal or the terminal's state asks for it.
  let shown = '';
  const show = (status: NodeStatus, always = false) => {
    const drawn = JSON.stringify(status);
    if (drawn === shown && !always) return;
    shown = drawn;
    node.status(status);
  };
  /** The latest late answer to one of this node's requests, shown until the node's next message. */
  let lateAnswer: LateAnswer | undefined;
  // While no request is open, the status shows what the operator must know first: requests whose
  // outcome nobody knows, else a damaged journal, else the state of a link kept open (serial),
  // else, where the terminal is checked while idle (TCP), whether it can be reached.
  let showedAttention = false;
  const showIdle = () => {
    if (inFlight.size > 0) return;
    if (!terminal) {
      show(statusNoTerminal());
      return;
    }
    const unresolved = unresolvedHere();
    const damaged = journal()?.damaged.length ?? 0;
    const held = terminal.keepOpen ? terminal.client : undefined;
    const checked = !held && terminal.client && terminal.client.readinessCheckMs > 0 ? terminal.client : undefined;
    const readiness = checked && statusForReadiness(checked.readiness);
    if (unresolved.length > 0) show(statusForUnresolved(unresolved));
    else if (damaged > 0) show(statusForDamagedJournal(damaged));
    else if (lateAnswer) show(statusForLateAnswer(lateAnswer));
    else if (held) show(statusForConnection(held.connectionState));
    else if (readiness) show(readiness);
    else if (showedAttention) show({});
    showedAttention = unresolved.length > 0 || damaged > 0;
  };
  const stopWatchingJournal = terminal?.journal?.onChange(showIdle);
  if (stopWatchingJournal) stops.push(stopWatchingJournal);
  void terminal?.whenClient?.then(
    (client) =>
      attempt(() => {
        if (closing) return;
        if (terminal.keepOpen) stops.push(client.onConnectionState(showIdle));
        else if (client.readinessCheckMs > 0) stops.push(client.onReadiness(showIdle));
        if (client.journal && client.journal !== terminal.journal) stops.push(client.journal.onChange(showIdle));
        // The answer to one of this node's requests that had ended unknown: now its outcome.
        stops.push(
          client.onLateAnswer((late) => {
            if (late.owner !== node) return;
            lateAnswer = late;
            attempt(() => node.warn(describeLateAnswer(late, client.transport.description)));
            // Shown at once, even while a queued request starts: a status node hears it exactly once.
            attempt(() => show(statusForLateAnswer(late)));
          }),
        );
        showIdle();
      }),
    () => undefined, // the config node says why
  );
  attempt(showIdle);

  node.on('input', (msg, send, done) => {
    lateAnswer = undefined;
    const submitToTerminal = terminal?.submit;
    let pending: Promise<TransactionResult>;
    if (!terminal) {
      // CONNECT, like every other reason this node cannot reach a terminal; the words say which.
      pending = Promise.resolve(failure(action, undefined, 'CONNECT', explain('node.noTerminal')));
    } else if (!submitToTerminal) {
      pending = Promise.resolve(failure(action, undefined, 'CONNECT', explain('node.badSettings', { reason: terminal.settingsError ?? explain('settings.failed', { detail: '?' }) })));
    } else {
      let allowDuplicate = false;
      const submit = (draft: RequestDraft) =>
        // An input read asynchronously (JSONata) may finish after the node was stopped: too late to send.
        closing
          ? Promise.resolve(failure(action, undefined, 'CONNECT', explain('stop.nodeStoppedBeforeSend')))
          : submitToTerminal(draft, {
              owner: node,
              allowDuplicate,
              onPhase: (phase, request) => show(phase === 'connecting' ? statusConnecting() : statusWaiting(request), true),
            });
      // Everything read from the message is read here, where a property that throws is an input error.
      const resolve = () => {
        allowDuplicate = allowDuplicateOf(msg);
        return resolveDraft(action, msg, receipt, custrcpt, sources, evaluate);
      };
      pending = submitMessage(action, resolve, submit);
    }
    const settled = pending
      // The client never rejects; should something here fail all the same, the message still gets its one output.
      .catch((error: unknown) => failure(action, undefined, 'PROTOCOL', explain('internal.node', { detail: errorText(error) })))
      .then((result) => {
        const { output, msg: out } = applyResult(msg, localized(result));
        send(output === 0 ? [out, null] : [null, out]);
        // What the operator sees comes after the output, and cannot stop it.
        attempt(() => {
          if (result.result === 'ERROR' && ERROR_OUTCOMES[result.code] === 'unknown') {
            node.warn(describeUnknown(result, terminal?.client?.transport.description ?? terminal?.description));
          }
        });
        // An outcome nobody knows stays on the node until an operator acknowledges it, and the
        // acknowledgement clears it (showIdle draws again when the journal changes).
        attempt(() => {
          const unresolved = unresolvedHere();
          show(terminal ? statusAfterResult(result, unresolved) : statusNoTerminal(), true);
          showedAttention = unresolved.length > 0;
        });
      })
      .catch((error: unknown) => attempt(() => node.error(t('errors.notDelivered', { detail: errorText(error) }))))
      .finally(() => {
        inFlight.delete(settled);
        done();
      });
    inFlight.add(settled);
  });

  node.on('close', (_removed, done) => {
    closing = true;
    for (const stop of stops.splice(0)) stop();
    terminal?.client?.abort(explain('stop.nodeStopped'), node);
    void Promise.all(inFlight).then(() => done());
  });
}

/** Runs something for the operator's eyes (a status, a log line): its failure must not change what happens to a message. */
function attempt(call: () => void): void {
  try {
    call();
  } catch {
    // Nothing to do: the message's output does not depend on it.
  }
}
