import { ACTIONS, Action, ERROR_OUTCOMES, RequestDraft, TransactionResult, failure } from '../src/protocol';
import {
  applyResult,
  evaluatorFor,
  resolveDraft,
  sourcesFromDefinition,
  statusConnecting,
  statusForConnection,
  statusForDamagedJournal,
  statusForResult,
  statusForUnresolved,
  statusWaiting,
  submitMessage,
} from './message';
import type { TerminalConfigNode } from './terminal-settings';
import { useMessageCatalog } from './i18n';
import { Node, NodeAPI, NodeDefinition } from './node-red';

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
  const terminal = RED.nodes.getNode(String(definition.terminal ?? '')) as TerminalConfigNode | null;
  const receipt = definition.receipt ?? 'ON';
  const custrcpt = definition.custrcpt ?? 'ON';
  // Typed inputs for amount, invoice and preauthcode; a flow saved without them reads the defaults.
  const sources = sourcesFromDefinition(definition);
  const evaluate = evaluatorFor(RED, node);
  /** This node's messages whose results are not sent yet. */
  const inFlight = new Set<Promise<void>>();
  let closing = false;
  // While no request is open, the status shows what the operator must know first: requests left
  // unresolved by a crash, else the state of a link kept open (serial).
  const keptOpen = terminal?.client?.keepOpen ? terminal.client : undefined;
  let showedUnresolved = false;
  const showIdle = () => {
    if (inFlight.size > 0) return;
    // The journal may be shared by several terminals: show this one's (and those of unknown terminal).
    const here = terminal?.client?.transport?.description;
    const unresolved = (terminal?.journal?.unresolved ?? []).filter((entry) => entry.terminal === undefined || entry.terminal === here);
    const damaged = terminal?.journal?.damaged.length ?? 0;
    if (unresolved.length > 0) node.status(statusForUnresolved(unresolved));
    else if (damaged > 0) node.status(statusForDamagedJournal(damaged));
    else if (keptOpen) node.status(statusForConnection(keptOpen.connectionState));
    else if (showedUnresolved) node.status({});
    showedUnresolved = unresolved.length > 0 || damaged > 0;
  };
  const stopWatchingLink = keptOpen?.onConnectionState(showIdle);
  const stopWatchingJournal = terminal?.journal?.onChange(showIdle);
  showIdle();

  node.on('input', (msg, send, done) => {
    const client = terminal?.client;
    let pending: Promise<TransactionResult>;
    if (!client) {
      const why = terminal ? `its settings are wrong: ${terminal.settingsError ?? 'unknown error'}` : 'no terminal is selected';
      pending = Promise.resolve(failure(action, undefined, 'CONNECT', `This node cannot reach a terminal: ${why}. Nothing was sent.`));
    } else {
      const submit = (draft: RequestDraft) =>
        // An input read asynchronously (JSONata) may finish after the node was stopped: too late to send.
        closing
          ? Promise.resolve(failure(action, undefined, 'CONNECT', 'Node-RED stopped this node before the request was sent. Nothing was sent.'))
          : client.submit(draft, {
              owner: node,
              allowDuplicate: msg.allowDuplicate === true,
              onPhase: (phase, request) => node.status(phase === 'connecting' ? statusConnecting() : statusWaiting(request)),
            });
      pending = submitMessage(action, () => resolveDraft(action, msg, receipt, custrcpt, sources, evaluate), submit);
    }
    const settled = pending
      .then((result) => {
        const { output, msg: out } = applyResult(msg, result);
        node.status(statusForResult(result));
        if (result.result === 'ERROR' && ERROR_OUTCOMES[result.code] === 'unknown') node.warn(result.message);
        send(output === 0 ? [out, null] : [null, out]);
      })
      .catch((error: unknown) => node.error(`Could not deliver the result: ${error instanceof Error ? error.message : String(error)}`, msg))
      .finally(() => {
        inFlight.delete(settled);
        done();
      });
    inFlight.add(settled);
  });

  node.on('close', (_removed, done) => {
    closing = true;
    stopWatchingLink?.();
    stopWatchingJournal?.();
    terminal?.client?.abort('Node-RED stopped this node before the terminal answered.', node);
    void Promise.all(inFlight).then(() => done());
  });
}
