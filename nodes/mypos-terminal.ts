import { TerminalClient, amountRules } from '../src/client/terminal-client';
import { Journal } from '../src/journal/journal';
import { Explanation, errorText, explain, explainError, failure } from '../src/protocol';
import { SharedSettings, TerminalRegistry } from '../src/terminal/registry';
import { listSerialPorts } from '../src/transport/serial';
import { runtimeLanguage, say, terminalText, useMessageCatalog } from './i18n';
import { JournalUse, damageKind, journalPath, useJournal } from './journals';
import { Node, NodeAPI, NodeDefinition } from './node-red';
import { probeFailed, testConnection } from './terminal-probe';
import { SettingsError, TerminalConfig, TerminalConfigNode, clientOptionsFromConfig } from './terminal-settings';

/**
 * The `mypos-terminal` config node: a handle on one physical terminal. Config nodes that name
 * the same terminal (the same address however written, the same serial device) share its
 * client: one request at a time between them, one queue, one wait for a late answer.
 */

/** The terminals in use in this runtime. */
const terminals = new TerminalRegistry();

export = function register(RED: NodeAPI): void {
  // This file's RED translates with the config node's catalog (mypos-terminal.json).
  useMessageCatalog(RED, 'mypos-terminal');
  RED.nodes.registerType('mypos-terminal', function (this: Node, definition: NodeDefinition) {
    RED.nodes.createNode(this, definition);
    const node = this as TerminalConfigNode;
    let journalUse: JournalUse | undefined;
    let release: (() => void) | undefined;
    try {
      const config = definition as TerminalConfig;
      const options = clientOptionsFromConfig(config);
      // Per request, this node's own: how amounts are read and how long to wait for an answer.
      const rules = amountRules(options.decimals ?? 2, options.maxAmount);
      const responseTimeoutMs = options.responseTimeoutMs;
      journalUse = useJournal(journalPath(config.journalPath, RED.settings.userDir), RED.settings.userDir, node);
      const journal = journalUse.journal;
      const lease = terminals.lease({ ...options, journal }, { label: node.name || node.id, warn: (_message, shared) => warnShared(node, options.transport.description, shared) });
      release = lease.release;
      node.journal = journal;
      node.description = options.transport.description;
      node.keepOpen = options.connectionMode === 'keep-open';
      node.whenClient = lease.client;
      lease.client.then(
        (client) => {
          node.client = client;
        },
        (error: unknown) =>
          node.error(refusedUntilFixed(explain('connect.unusable', { terminal: options.transport.description, reason: explainError(error) }))),
      );
      node.submit = async (draft, transactOptions) => {
        let client: TerminalClient;
        try {
          client = await lease.client;
        } catch (error) {
          return failure(draft.action, undefined, 'CONNECT', explain('connect.unusable', { terminal: options.transport.description, reason: explainError(error) }));
        }
        return client.submit(draft, { ...transactOptions, ...(responseTimeoutMs !== undefined && { responseTimeoutMs }) }, rules);
      };
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      node.settingsError = error instanceof SettingsError ? error.explanation : explain('settings.failed', { detail: errorText(error) });
      node.error(refusedUntilFixed(explain('node.badSettings', { reason: node.settingsError })));
    }
    node.on('close', (_removed, done) => {
      release?.();
      void (journalUse?.release() ?? Promise.resolve()).catch(() => undefined).then(() => done());
    });
  });

  // Lists serial ports for the editor's picker. Listing needs udevadm on Linux; where it fails the
  // editor says so and the user types the path.
  RED.httpAdmin.get('/mypos-terminal/serialports', RED.auth.needsPermission('mypos-terminal.read'), (_req: unknown, res: JsonResponse) => {
    listSerialPorts().then(
      (ports) => res.json({ ports }),
      // The editor says it in its own language; `detail` is the system's own words, for a log.
      (error: unknown) => res.json({ ports: [], error: terminalText('errors.serialPortList'), detail: errorText(error) }),
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
    void testConnection(settings, terminals, gone.signal).then(
      (result) => res.json(result),
      (error: unknown) => res.status(500).json(probeFailed(error)),
    );
  });

  // Requests sent before a crash with no known end, and the operator's acknowledgement of them
  // once the terminal's history has been checked.
  RED.httpAdmin.get('/mypos-terminal/:id/unresolved', RED.auth.needsPermission('mypos-terminal.read'), (req: IdRequest, res: JsonResponse) => {
    const journal = journalOf(RED, req.params.id);
    // A config node without a journal (not deployed yet, or with wrong settings) has nothing that needs attention.
    if (!journal) return res.json({ unresolved: [], damaged: [] });
    // A damaged line's `kind` names its damage for the editor's words (catalog `damage.<kind>`).
    journal.ready.then(
      () => res.json({ journal: journal.path, unresolved: journal.unresolved, damaged: journal.damaged.map((line) => ({ ...line, kind: damageKind(line.reason) })) }),
      (error: unknown) => res.status(500).json({ error: say(explain('journal.unusable', { path: journal.path, reason: explainError(error, 'file') })) }),
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
      (error: unknown) => res.status(500).json({ error: say(explain('journal.unusable', { path: journal.path, reason: explainError(error, 'file') })) }),
    );
  });
};

/** The config node's settings that the client options `settings` come from (see TerminalRegistry.lease). */
const SETTING_OF_OPTION: Readonly<Record<string, string>> = {
  connectionMode: 'connectionMode',
  connectTimeoutMs: 'connectTimeout',
  queueLimit: 'queueLimit',
  queueTimeoutMs: 'queueTimeout',
  lateAnswerWindowMs: 'lateAnswerWindow',
  requestEnding: 'requestEnding',
  journal: 'journalPath',
};

/** Warns when another config node set up the same terminal first: whose settings apply, named as the dialog labels them. */
function warnShared(node: Node, terminal: string, shared: SharedSettings): void {
  const settings = shared.settings.flatMap((option) => (SETTING_OF_OPTION[option] ? [runtimeLanguage.setting(SETTING_OF_OPTION[option])] : []));
  if (settings.length > 0) node.warn(terminalText('log.sharedTerminal', { terminal, other: shared.owner, settings: settings.join(', ') }));
}

/** A problem that stops every request to the terminal, for the log: what it is, and what it means. */
function refusedUntilFixed(problem: Explanation): string {
  return terminalText('log.refusedUntilFixed', { problem: say(problem) });
}

function journalOf(RED: NodeAPI, id: string): Journal | undefined {
  const node = RED.nodes.getNode(id) as TerminalConfigNode | null;
  // The journal its requests are written to: its terminal's, if another config node set that terminal up.
  return node?.client?.journal ?? node?.journal;
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
