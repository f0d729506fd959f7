import { TerminalClient } from '../src/client/terminal-client';
import { Journal } from '../src/journal/journal';
import { JournalUse, journalPath, useJournal } from './journals';
import { SerialTransport, listSerialPorts } from '../src/transport/serial';
import { Node, NodeAPI, NodeDefinition } from './node-red';
import { testConnection } from './terminal-probe';
import { TerminalConfig, TerminalConfigNode, clientOptionsFromConfig } from './terminal-settings';

/** The `mypos-terminal` config node: one terminal, one connection, shared by the action nodes. */

/** Serial devices opened by config nodes in this runtime, so a second one gets a clear message. */
const serialPathOwners = new Map<string, string>();

/** Config nodes running in this runtime, so a connection test never disturbs one of their requests. */
const deployedTerminals = new Set<TerminalConfigNode>();

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('mypos-terminal', function (this: Node, definition: NodeDefinition) {
    RED.nodes.createNode(this, definition);
    const node = this as TerminalConfigNode;
    let ownedPath: string | undefined;
    let journalUse: JournalUse | undefined;
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
      journalUse = useJournal(journalPath((definition as TerminalConfig).journalPath, RED.settings.userDir), RED.settings.userDir, node);
      const journal = journalUse.journal;
      node.journal = journal;
      node.client = new TerminalClient({ ...options, journal });
      node.client.start();
      deployedTerminals.add(node);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      node.settingsError = error.message;
      node.error(`Terminal settings: ${error.message}`);
    }
    node.on('close', (_removed, done) => {
      deployedTerminals.delete(node);
      node.client?.close('Node-RED stopped the flow before the terminal answered.');
      if (ownedPath !== undefined && serialPathOwners.get(ownedPath) === node.id) serialPathOwners.delete(ownedPath);
      void (journalUse?.release() ?? Promise.resolve()).catch(() => undefined).then(() => done());
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

  // The dialog's "Test connection": opens a connection with the dialog's current settings (not the
  // deployed ones) and closes it again. Nothing is ever sent, so no payment can start.
  RED.httpAdmin.post('/mypos-terminal/test', RED.auth.needsPermission('mypos-terminal.write'), (req: TestRequest, res: TestResponse) => {
    const settings = typeof req.body === 'object' && req.body !== null ? (req.body as TerminalConfig) : {};
    // An editor that went away before the answer gives up the attempt.
    const gone = new AbortController();
    res.on?.('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    void testConnection(settings, deployedTerminals, gone.signal).then(
      (result) => res.json(result),
      (error: Error) => res.status(500).json({ ok: false, outcome: 'failed', target: '', message: error.message }),
    );
  });

  // Requests sent before a crash with no known end, and the operator's acknowledgement of them
  // once the terminal's history has been checked.
  RED.httpAdmin.get('/mypos-terminal/:id/unresolved', RED.auth.needsPermission('mypos-terminal.read'), (req: IdRequest, res: JsonResponse) => {
    const journal = journalOf(RED, req.params.id);
    if (!journal) return res.status(404).json({ error: 'no such deployed mypos-terminal node' });
    journal.ready.then(
      () => res.json({ journal: journal.path, unresolved: journal.unresolved, damaged: journal.damaged }),
      (error: Error) => res.status(500).json({ error: error.message }),
    );
  });
  RED.httpAdmin.post('/mypos-terminal/:id/acknowledge', RED.auth.needsPermission('mypos-terminal.write'), (req: IdRequest, res: JsonResponse) => {
    const journal = journalOf(RED, req.params.id);
    if (!journal) return res.status(404).json({ error: 'no such deployed mypos-terminal node' });
    // Optional body { ids: [...] }: only those; without it, everything that needs attention.
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as { ids?: unknown }) : {};
    const ids = Array.isArray(body.ids) ? body.ids.filter((id): id is string => typeof id === 'string') : undefined;
    journal.acknowledge(ids).then(
      (acknowledged) => res.json({ acknowledged }),
      (error: Error) => res.status(500).json({ error: error.message }),
    );
  });
};

function journalOf(RED: NodeAPI, id: string): Journal | undefined {
  const node = RED.nodes.getNode(id) as TerminalConfigNode | null;
  return node?.journal;
}

interface TestRequest {
  body?: unknown;
}

interface TestResponse extends JsonResponse {
  readonly writableFinished?: boolean;
  on?(event: 'close', listener: () => void): void;
}

interface IdRequest {
  params: { id: string };
  body?: unknown;
}

interface JsonResponse {
  json(body: unknown): void;
  status(code: number): JsonResponse;
}
