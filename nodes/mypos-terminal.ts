import { TerminalClient } from '../src/client/terminal-client';
import { SerialTransport, listSerialPorts } from '../src/transport/serial';
import { Node, NodeAPI, NodeDefinition } from './node-red';
import { TerminalConfig, TerminalConfigNode, clientOptionsFromConfig } from './terminal-settings';

/** The `mypos-terminal` config node: one terminal, one connection, shared by the action nodes. */

/** Serial devices opened by config nodes in this runtime, so a second one gets a clear message. */
const serialPathOwners = new Map<string, string>();

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('mypos-terminal', function (this: Node, definition: NodeDefinition) {
    RED.nodes.createNode(this, definition);
    const node = this as TerminalConfigNode;
    let ownedPath: string | undefined;
    try {
      const options = clientOptionsFromConfig(definition as TerminalConfig);
      if (options.transport instanceof SerialTransport) {
        const path = options.transport.path;
        const owner = serialPathOwners.get(path);
        if (owner !== undefined && owner !== node.id) {
          throw new Error(`serial port ${path} is already used by another mypos-terminal node (${owner}); use one config node per terminal`);
        }
        serialPathOwners.set(path, node.id);
        ownedPath = path;
      }
      node.client = new TerminalClient(options);
      node.client.start();
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      node.settingsError = error.message;
      node.error(`Terminal settings: ${error.message}`);
    }
    node.on('close', (_removed, done) => {
      node.client?.close('Node-RED stopped the flow before the terminal answered.');
      if (ownedPath !== undefined && serialPathOwners.get(ownedPath) === node.id) serialPathOwners.delete(ownedPath);
      done();
    });
  });

  // Lists serial ports for the editor's picker. Listing needs udevadm on Linux; where it fails the
  // editor says so and the user types the path.
  RED.httpAdmin.get('/mypos-terminal/serialports', RED.auth.needsPermission('mypos-terminal.read'), (_req: unknown, res: JsonResponse) => {
    listSerialPorts().then(
      (ports) => res.json({ ports }),
      (error: Error) => res.json({ ports: [], error: `Cannot list serial ports here (${error.message}); type the device path.` }),
    );
  });
};

interface JsonResponse {
  json(body: unknown): void;
}
