import { ACTIONS, Action, ERROR_OUTCOMES, TransactionResult, failure } from '../src/protocol';
import { applyResult, draftFromMessage, STATUS_CONNECTING, statusForConnection, statusForResult, statusWaiting } from './message';
import type { TerminalConfigNode } from './terminal-settings';
import { Node, NodeAPI, NodeDefinition } from './node-red';

/** The five action nodes: each turns a message into one request and its result into one message. */

const TYPE_PREFIX = 'mypos-';

export = function register(RED: NodeAPI): void {
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
  /** This node's messages whose results are not sent yet. */
  const inFlight = new Set<Promise<void>>();
  // A link kept open (serial) has a state worth showing while no request is open.
  const keptOpen = terminal?.client?.keepOpen ? terminal.client : undefined;
  const stopWatching = keptOpen?.onConnectionState((state) => {
    if (inFlight.size === 0) node.status(statusForConnection(state));
  });
  if (keptOpen) node.status(statusForConnection(keptOpen.connectionState));

  node.on('input', (msg, send, done) => {
    const client = terminal?.client;
    const draft = draftFromMessage(action, msg, receipt, custrcpt);
    let pending: Promise<TransactionResult>;
    if (!client) {
      const why = terminal ? `its settings are wrong: ${terminal.settingsError ?? 'unknown error'}` : 'no terminal is selected';
      pending = Promise.resolve(failure(action, undefined, 'CONNECT', `This node cannot reach a terminal: ${why}. Nothing was sent.`));
    } else {
      pending = client.submit(draft, {
        owner: node,
        onPhase: (phase, request) => node.status(phase === 'connecting' ? STATUS_CONNECTING : statusWaiting(request)),
      });
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
    stopWatching?.();
    terminal?.client?.abort('Node-RED stopped this node before the terminal answered.', node);
    void Promise.all(inFlight).then(() => done());
  });
}
