import { TerminalClient } from '../src/client/terminal-client';
import { Node, NodeAPI, NodeDefinition } from './node-red';
import { TerminalConfig, TerminalConfigNode, clientOptionsFromConfig } from './terminal-settings';

/** The `mypos-terminal` config node: one terminal, one connection, shared by the action nodes. */

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('mypos-terminal', function (this: Node, definition: NodeDefinition) {
    RED.nodes.createNode(this, definition);
    const node = this as TerminalConfigNode;
    try {
      node.client = new TerminalClient(clientOptionsFromConfig(definition as TerminalConfig));
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      node.settingsError = error.message;
      node.error(`Terminal settings: ${error.message}`);
    }
    node.on('close', (_removed, done) => {
      node.client?.close('Node-RED stopped the flow before the terminal answered.');
      done();
    });
  });
};
