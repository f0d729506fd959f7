import type { TerminalClient } from '../src/client/terminal-client';
import type { Action } from '../src/protocol';
import { say } from './i18n';
import { Connection, TerminalConfigNode, unresolvedFor } from './terminal-settings';

/**
 * What the myPOS sidebar's block says of each terminal in use in this runtime (GET
 * mypos-terminal/terminals): where it is, which config nodes use it, one state word with since
 * when, what it is busy with, and how many of its requests need a person.
 */

/**
 * One word for where a terminal stands, the first that applies:
 * - `settings-error`: the config node's settings are wrong; nothing is sent;
 * - `busy`: a request is open, or the late answer to one that ended unknown is awaited;
 * - `connected` / `disconnected`: a link kept open (serial) is up, or down;
 * - `ready` / `unreachable`: as the readiness checks, or the last attempt, found it (TCP);
 * - `unknown`: nothing is known yet (TCP without readiness checks, before the first request).
 */
export type TerminalStateWord = 'settings-error' | 'busy' | 'connected' | 'disconnected' | 'ready' | 'unreachable' | 'unknown';

/** What a busy terminal is busy with: a request, or the wait for a late answer to one. */
export interface BusyWith {
  readonly with: 'request' | 'late-answer';
  readonly action: Action;
  readonly amount?: string;
  readonly invoice?: string;
  readonly preauthcode?: string;
}

export interface TerminalOverview {
  /** Where it is: `192.168.1.20:51042`, `/dev/rfcomm0` (empty when the settings name none). */
  readonly connection: string;
  readonly kind: Connection;
  /** The config nodes that use it. */
  readonly nodes: readonly { readonly id: string; readonly name: string }[];
  readonly state: TerminalStateWord;
  /** Since when (ISO time); null when not known (`unknown`, `settings-error`). */
  readonly since: string | null;
  readonly busy?: BusyWith;
  /** `unreachable`: the system's words; `settings-error`: what is wrong, in the runtime's language. */
  readonly reason?: string;
  /** Its journal entries that need a person; null when its journal cannot be read. */
  readonly attention: number | null;
}

/**
 * The terminals these config nodes use: those sharing a client (one physical terminal) as one,
 * each of the others (wrong settings, or a terminal not identified yet) on its own.
 */
export async function overviewOf(configNodes: Iterable<TerminalConfigNode>): Promise<TerminalOverview[]> {
  const groups = new Map<TerminalClient | TerminalConfigNode, TerminalConfigNode[]>();
  for (const node of configNodes) {
    const key = node.client ?? node;
    groups.set(key, [...(groups.get(key) ?? []), node]);
  }
  const overviews = await Promise.all([...groups.values()].map(terminalOverview));
  return overviews.sort((a, b) => label(a).localeCompare(label(b)));
}

async function terminalOverview(nodes: readonly TerminalConfigNode[]): Promise<TerminalOverview> {
  const first = nodes[0];
  const client = first.client;
  const journal = client?.journal ?? first.journal;
  const readable = journal
    ? await journal.ready.then(
        () => true,
        () => false,
      )
    : true;
  return {
    connection: client?.transport.description ?? first.description ?? '',
    kind: first.connectionKind ?? 'tcp',
    nodes: nodes.map((node) => ({ id: node.id, name: node.name ?? '' })),
    ...stateOf(first, client),
    attention: readable ? unresolvedFor(first).length : null,
  };
}

type State = Pick<TerminalOverview, 'state' | 'since' | 'busy' | 'reason'>;

/** The one rule for the state word (see TerminalStateWord). */
function stateOf(node: TerminalConfigNode, client: TerminalClient | undefined): State {
  if (node.settingsError) return { state: 'settings-error', since: null, reason: say(node.settingsError) };
  if (!client) {
    const unusable = node.unusable;
    return unusable ? { state: 'unreachable', since: iso(unusable.since), reason: unusable.reason } : { state: 'unknown', since: null };
  }
  const activity = client.activity;
  if (activity.kind !== 'idle') {
    const { request } = activity;
    const busy: BusyWith = {
      with: activity.kind,
      action: request.action,
      ...(request.amount && { amount: request.amount.text }),
      ...(request.invoice !== undefined && { invoice: request.invoice }),
      ...(request.preauthCode !== undefined && { preauthcode: request.preauthCode }),
    };
    return { state: 'busy', since: iso(activity.since), busy };
  }
  if (client.keepOpen) {
    const link = client.linkState;
    return { state: link.state === 'connected' ? 'connected' : 'disconnected', since: iso(link.since) };
  }
  const readiness = client.readiness;
  if (readiness.state === 'unknown') return { state: 'unknown', since: null };
  return { state: readiness.state, since: iso(readiness.since), ...(readiness.reason !== undefined && { reason: readiness.reason }) };
}

/**
 * Calls `changed` whenever what the block shows of this config node's terminal may have changed:
 * its activity, its link or readiness, the entries that need a person. Returns the function that
 * stops every listener it added.
 */
export function watchTerminal(client: TerminalClient, changed: () => void): () => void {
  const stops = [client.onActivity(changed), client.onReadiness(changed)];
  // A TCP connection opens and closes with each request: only a link kept open says something by it.
  if (client.keepOpen) stops.push(client.onConnectionState(changed));
  if (client.journal) stops.push(client.journal.onChange(changed));
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}

function label(overview: TerminalOverview): string {
  return overview.nodes.map((node) => node.name).join(', ') || overview.connection;
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
