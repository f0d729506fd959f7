import { TerminalClient, amountRules } from '../src/client/terminal-client';
import { DEFAULT_RETENTION_DAYS, HistoryEntry, Journal, JournalUnavailableError, ResolveError } from '../src/journal/journal';
import { Explanation, errorText, explain, explainError, failure } from '../src/protocol';
import { SharedSettings, TerminalRegistry } from '../src/terminal/registry';
import { listSerialPorts } from '../src/transport/serial';
import { runtimeLanguage, say, terminalText, useMessageCatalog } from './i18n';
import { ConsoleQuery, FieldError, consoleEntry, exportFileName, historyPage, parseExportQuery, parseListQuery, parseResolveBody, timeZone, toCsv } from './journal-console';
import { JournalUse, damageKind, journalPath, openJournals, useJournal } from './journals';
import { Node, NodeAPI, NodeDefinition } from './node-red';
import { EditorNotice } from './editor-notice';
import { probeFailed, testConnection } from './terminal-probe';
import { overviewOf, watchTerminal } from './terminal-overview';
import { SettingsError, TerminalConfig, TerminalConfigNode, clientOptionsFromConfig } from './terminal-settings';

/**
 * The `mypos-terminal` config node: a handle on one physical terminal. Config nodes that name
 * the same terminal (the same address however written, the same serial device) share its
 * client: one request at a time between them, one queue, one wait for a late answer.
 */

/** The terminals in use in this runtime. */
const terminals = new TerminalRegistry();

/** The config nodes running in this runtime, for the sidebar's block of terminals. */
const configNodes = new Set<TerminalConfigNode>();

/** The topic on which editors hear that a journal changed (the myPOS sidebar reads it again). */
const JOURNAL_TOPIC = 'mypos/journal';
/** The topic on which editors hear that a terminal's state changed (the sidebar reads its block again). */
const TERMINALS_TOPIC = 'mypos/terminals';
/** Changes within this time make one notice: a payment is begun and ended in a few lines. */
const NOTICE_DELAY_MS = 100;
/**
 * At most one terminals notice a second: a kiosk taking payments back to back flips between
 * busy and ready many times a minute, and each notice makes every editor read the block again.
 */
const TERMINALS_NOTICE_SPACING_MS = 1000;

export = function register(RED: NodeAPI): void {
  // This file's RED translates with the config node's catalog (mypos-terminal.json).
  useMessageCatalog(RED, 'mypos-terminal');
  // Tells the editors that a journal, or a terminal's state, changed: a small notice, never the
  // entries or states themselves (an editor reads them through the admin API, with its user's permissions).
  const journalNotice = new EditorNotice((notice) => RED.comms?.publish(JOURNAL_TOPIC, notice, false), NOTICE_DELAY_MS, NOTICE_DELAY_MS);
  const terminalsNotice = new EditorNotice((notice) => RED.comms?.publish(TERMINALS_TOPIC, notice, false), NOTICE_DELAY_MS, TERMINALS_NOTICE_SPACING_MS);
  const noticeToEditors = () => journalNotice.changed();
  const terminalsChanged = () => terminalsNotice.changed();

  RED.nodes.registerType('mypos-terminal', function (this: Node, definition: NodeDefinition) {
    RED.nodes.createNode(this, definition);
    const node = this as TerminalConfigNode;
    let journalUse: JournalUse | undefined;
    let release: (() => void) | undefined;
    let stopNotices: (() => void) | undefined;
    let stopWatchingTerminal: (() => void) | undefined;
    let closing = false;
    const config = definition as TerminalConfig;
    node.connectionKind = config.connection === 'serial' ? 'serial' : 'tcp';
    configNodes.add(node);
    try {
      const options = clientOptionsFromConfig(config);
      // Per request, this node's own: how amounts are read and how long to wait for an answer.
      const rules = amountRules(options.decimals ?? 2, options.maxAmount);
      const responseTimeoutMs = options.responseTimeoutMs;
      journalUse = useJournal(journalPath(config.journalPath, RED.settings.userDir), RED.settings.userDir, node);
      const journal = journalUse.journal;
      stopNotices = journal.onHistory(noticeToEditors);
      const lease = terminals.lease(
        { ...options, journal },
        { label: node.name === undefined || node.name === '' ? node.id : node.name, warn: (_message, shared) => warnShared(node, options.transport.description, shared) },
      );
      release = lease.release;
      node.journal = journal;
      node.description = options.transport.description;
      node.keepOpen = options.connectionMode === 'keep-open';
      node.whenClient = lease.client;
      lease.client.then(
        (client) => {
          node.client = client;
          if (closing) return;
          stopWatchingTerminal = watchTerminal(client, terminalsChanged);
          terminalsChanged();
        },
        (error: unknown) => {
          const unusable = explain('connect.unusable', { terminal: options.transport.description, reason: explainError(error) });
          node.unusable = { reason: say(unusable), since: Date.now() };
          if (!closing) terminalsChanged();
          node.error(refusedUntilFixed(unusable));
        },
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
    terminalsChanged();
    node.on('close', (_removed, done) => {
      closing = true;
      configNodes.delete(node);
      stopNotices?.();
      stopWatchingTerminal?.();
      // A stop or redeploy leaves no timer behind; the editors read again when they next look.
      journalNotice.stop();
      terminalsNotice.stop();
      release?.();
      void (journalUse?.release() ?? Promise.resolve()).catch(() => undefined).then(() => done());
    });
  });

  // The sidebar's block: each terminal in use, its state and since when, what needs a person.
  RED.httpAdmin.get('/mypos-terminal/terminals', RED.auth.needsPermission('mypos-terminal.read'), (_req: unknown, res: FileResponse) => {
    void answer(res, async () => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ terminals: await overviewOf(configNodes) });
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
    if (!journal) {
      res.json({ unresolved: [], damaged: [] });
      return;
    }
    // A damaged line's `kind` names its damage for the editor's words (catalog `damage.<kind>`).
    journal.ready.then(
      () => {
        res.json({ journal: journal.path, unresolved: journal.unresolved, damaged: journal.damaged.map((line) => ({ ...line, kind: damageKind(line.reason) })) });
      },
      (error: unknown) => {
        res.status(500).json({ error: say(explain('journal.unusable', { path: journal.path, reason: explainError(error, 'file') })) });
      },
    );
  });
  RED.httpAdmin.post('/mypos-terminal/:id/acknowledge', ...writePermission(RED), (req: IdRequest, res: JsonResponse) => {
    const journal = journalOf(RED, req.params.id);
    if (!journal) {
      res.status(404).json({ error: 'no such deployed mypos-terminal node' });
      return;
    }
    // Optional body { ids: [...] }: only those; without it, everything that needs attention.
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as { ids?: unknown }) : {};
    const ids = Array.isArray(body.ids) ? body.ids.filter((id): id is string => typeof id === 'string') : undefined;
    journal.acknowledge(ids).then(
      (acknowledged) => res.json({ acknowledged }),
      (error: unknown) => res.status(500).json({ error: say(explain('journal.unusable', { path: journal.path, reason: explainError(error, 'file') })) }),
    );
  });

  // The operator console (issue #13): the journals' history, newest first, a page at a time;
  // the same for a day or a range of days as a CSV or JSON file; an operator's finding for a
  // request whose outcome nobody knows. Reading needs mypos-terminal.read, a finding
  // mypos-terminal.write (401 without a login, 403 for a user without it). Every parameter is
  // checked: a 400 names the one that is wrong.
  RED.httpAdmin.get('/mypos-terminal/journal', RED.auth.needsPermission('mypos-terminal.read'), (req: QueryRequest, res: FileResponse) => {
    void answer(res, async () => {
      const query = parseListQuery(req.query);
      const { journals, terminal } = await journalsFor(RED, query);
      const page = historyPage(journals, { ...query.history, ...(terminal !== undefined && { terminal }) });
      res.json({
        total: page.total,
        offset: query.history.offset,
        limit: query.history.limit,
        entries: page.entries.map(consoleEntry),
        ...held(journals),
      });
    });
  });
  RED.httpAdmin.get('/mypos-terminal/journal/export.csv', RED.auth.needsPermission('mypos-terminal.read'), (req: QueryRequest, res: FileResponse) => {
    void answer(res, async () => {
      const query = parseExportQuery(req.query);
      sendDownload(res, 'text/csv', exportFileName(query, 'csv'), toCsv(await exported(RED, query)));
    });
  });
  RED.httpAdmin.get('/mypos-terminal/journal/export.json', RED.auth.needsPermission('mypos-terminal.read'), (req: QueryRequest, res: FileResponse) => {
    void answer(res, async () => {
      const query = parseExportQuery(req.query);
      const entries = await exported(RED, query);
      sendDownload(
        res,
        'application/json',
        exportFileName(query, 'json'),
        JSON.stringify({ from: query.firstDay, to: query.lastDay, timeZone: timeZone(), exportedAt: new Date().toISOString(), count: entries.length, entries: entries.map(consoleEntry) }),
      );
    });
  });
  RED.httpAdmin.post('/mypos-terminal/journal/resolve', ...writePermission(RED), (req: ResolveRequest, res: FileResponse) => {
    void answer(res, async () => {
      const body = parseResolveBody(req.body);
      // Who: the logged-in user; without adminAuth nobody is logged in.
      const by = typeof req.user?.username === 'string' && req.user.username !== '' ? req.user.username : 'anonymous';
      const journal = await journalHolding(body.id);
      if (!journal) {
        res.status(404).json({ error: `id: no journal open in this Node-RED holds a request with this id`, field: 'id' });
        return;
      }
      const resolved = await journal.resolve(body.id, { finding: body.finding, by, ...(body.ref !== undefined && { ref: body.ref }), ...(body.note !== undefined && { note: body.note }) });
      res.json({ resolved: consoleEntry(resolved) });
    });
  });
};

/** A file to save, never to show in the editor's page (the journal's texts come from outside). */
function sendDownload(res: FileResponse, type: string, fileName: string, body: string): void {
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.send(body);
}

/**
 * Reading needs mypos-terminal.read: with adminAuth, Node-RED answers 401 without a login (or
 * without that permission). Writing also needs mypos-terminal.write, and a user who is logged
 * in but may only read gets 403, not Node-RED's 401, so that the console can tell "log in" from
 * "not allowed". (Node-RED's permissions are "*" and "read", or lists of them: write goes with read.)
 */
function writePermission(RED: NodeAPI): unknown[] {
  const mayWrite = (req: AuthenticatedRequest, res: FileResponse, next: () => void) => {
    // No adminAuth: Node-RED lets every request through, and so does this.
    if (!req.user) {
      next();
      return;
    }
    if (hasPermission(req.authInfo?.scope, 'mypos-terminal.write')) {
      next();
      return;
    }
    res.status(403).json({ error: 'your Node-RED user may read but not change: the permission mypos-terminal.write is needed' });
  };
  return [RED.auth.needsPermission('mypos-terminal.read'), mayWrite];
}

/** Node-RED's own rule (@node-red/editor-api auth/permissions.js): "*", the permission itself, or read/write for every *.read/*.write. */
function hasPermission(scope: unknown, permission: string): boolean {
  if (Array.isArray(scope)) return scope.some((one) => hasPermission(one, permission));
  if (typeof scope !== 'string') return false;
  if (scope === '*' || scope === permission) return true;
  if (scope === 'read' || scope === '*.read') return /^((.+)\.)?read$/.test(permission);
  if (scope === 'write' || scope === '*.write') return /^((.+)\.)?write$/.test(permission);
  return false;
}

/** Runs a handler: a broken rule is a 400 naming its field, a refused finding 404/409, a journal that cannot be used 503. */
async function answer(res: FileResponse, handle: () => Promise<unknown>): Promise<void> {
  try {
    await handle();
  } catch (error) {
    if (error instanceof FieldError) {
      res.status(400).json({ error: error.message, field: error.field });
      return;
    }
    if (error instanceof ResolveError) {
      const status = error.code === 'INVALID_INPUT' ? 400 : error.code === 'NOT_FOUND' ? 404 : 409;
      res.status(status).json({ error: error.message, code: error.code, ...(error.field !== undefined && { field: error.field }) });
      return;
    }
    const message = errorText(error);
    const systemError = error instanceof Error && (error as NodeJS.ErrnoException).code !== undefined;
    res.status(error instanceof JournalUnavailableError || systemError ? 503 : 500).json({ error: message });
  }
}

/**
 * The journals a query reads: the config node's (and only its terminal's requests, with those
 * recorded without a terminal), or every journal open in this runtime. Each must be readable.
 */
async function journalsFor(RED: NodeAPI, query: ConsoleQuery): Promise<{ journals: Journal[]; terminal?: string }> {
  let journals: Journal[];
  let terminal: string | undefined;
  if (query.node !== undefined) {
    const node = RED.nodes.getNode(query.node) as TerminalConfigNode | null;
    const journal = node?.client?.journal ?? node?.journal;
    // Not deployed (or with wrong settings): nothing to show, as for /:id/unresolved.
    journals = journal ? [journal] : [];
    terminal = node?.client?.transport.description ?? node?.description;
  } else {
    journals = openJournals();
  }
  for (const journal of journals) {
    await journal.ready.catch((error: unknown) => {
      throw new JournalUnavailableError(`the journal ${journal.path} cannot be read: ${errorText(error)}`);
    });
  }
  return { journals, ...(terminal !== undefined && { terminal }) };
}

/** Every entry an export covers, newest first. */
async function exported(RED: NodeAPI, query: ConsoleQuery): Promise<HistoryEntry[]> {
  const { journals, terminal } = await journalsFor(RED, query);
  return historyPage(journals, { ...query.history, ...(terminal !== undefined && { terminal }) }).entries;
}

/** How far back the journals go: the oldest request they hold, and the retention period. */
function held(journals: readonly Journal[]): Record<string, unknown> {
  const oldest = journals
    .map((journal) => journal.oldest)
    .filter((at): at is string => at !== undefined)
    .sort()
    .at(0);
  const retentionDays = journals.length > 0 ? Math.min(...journals.map((journal) => journal.retentionDays)) : DEFAULT_RETENTION_DAYS;
  return { oldest: oldest ?? null, retentionDays, timeZone: timeZone(), journals: journals.map((journal) => journal.path) };
}

/** The open journal that holds a request with this id. */
async function journalHolding(id: string): Promise<Journal | undefined> {
  for (const journal of openJournals()) {
    const usable = await journal.ready.then(
      () => true,
      () => false,
    );
    if (usable && journal.find(id)) return journal;
  }
  return undefined;
}

/** The config node's settings that the client options `settings` come from (see TerminalRegistry.lease). */
const SETTING_OF_OPTION: Readonly<Record<string, string>> = {
  connectionMode: 'connectionMode',
  connectTimeoutMs: 'connectTimeout',
  queueLimit: 'queueLimit',
  queueTimeoutMs: 'queueTimeout',
  lateAnswerWindowMs: 'lateAnswerWindow',
  requestEnding: 'requestEnding',
  journal: 'journalPath',
  readinessCheckMs: 'readinessCheck',
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

interface FileResponse {
  json(body: unknown): void;
  status(code: number): FileResponse;
  setHeader(name: string, value: string): void;
  send(body: string): void;
}

interface QueryRequest {
  query?: unknown;
}

interface AuthenticatedRequest {
  /** Set by Node-RED's login when adminAuth is on: the user, and what the token may do. */
  user?: { username?: unknown; anonymous?: boolean };
  authInfo?: { scope?: unknown };
}

interface ResolveRequest extends AuthenticatedRequest {
  body?: unknown;
}
