import { TerminalClient, TerminalClientOptions } from '../client/terminal-client';
import { explain } from '../protocol/messages';
import { TerminalIdentity, identify, sameTerminal } from './identity';

/**
 * One client per physical terminal, however many configurations name it: the one request at a
 * time, the queue, the link and the wait for a late answer belong to the terminal. The first
 * configuration's link settings apply; later ones sharing it are told which differ.
 */

/** A configuration's hold on its terminal. */
export interface TerminalLease {
  /** The terminal's shared client, once its identity is known; rejects when it cannot be (an unknown host). */
  readonly client: Promise<TerminalClient>;
  readonly identity: Promise<TerminalIdentity>;
  /** Gives the terminal up; the client closes when its last user does. Safe to call twice. */
  release: () => void;
}

/** Who uses a terminal, for the message that another configuration shares it. */
export interface LeaseOwner {
  /** Its name, e.g. the config node's name. */
  readonly label: string;
  /**
   * Told when this configuration joins a terminal another already set up and some of its
   * settings differ: in English, and as `shared` for words of one's own.
   */
  warn?(message: string, shared: SharedSettings): void;
}

/** A terminal another configuration set up first: its settings apply, and these of this one's differ. */
export interface SharedSettings {
  /** The terminal, as its identity names it: `tcp:192.168.1.20:51042`. */
  readonly terminal: string;
  /** The label of the configuration whose settings apply. */
  readonly owner: string;
  /** The link settings that differ (keys of TerminalClientOptions), and `journal` when the journals differ. */
  readonly settings: readonly string[];
}

interface SharedTerminal {
  readonly identity: TerminalIdentity;
  readonly client: TerminalClient;
  readonly options: TerminalClientOptions;
  readonly owner: LeaseOwner;
  users: number;
}

/** A terminal whose last user left while a request or the wait for a late answer held it. */
interface RetiringTerminal {
  readonly identity: TerminalIdentity;
  readonly client: TerminalClient;
  readonly retired: Promise<void>;
}

/** The settings that belong to the link, compared when a second configuration joins. */
const LINK_SETTINGS = ['connectionMode', 'connectTimeoutMs', 'queueLimit', 'queueTimeoutMs', 'lateAnswerWindowMs', 'requestEnding', 'answerGuardMs', 'readinessCheckMs'] as const;

export class TerminalRegistry {
  private readonly terminals: SharedTerminal[] = [];
  private readonly retiring: RetiringTerminal[] = [];

  /** The shared client for the terminal `options.transport` reaches, made with `options` if none exists yet. */
  lease(options: TerminalClientOptions, owner: LeaseOwner): TerminalLease {
    let shared: SharedTerminal | undefined;
    let released = false;
    const identity = identify(options.transport);
    const client = identity.then(async (found) => {
      // A redeploy while the terminal was busy: the old client keeps it until it is free, so
      // that a request of the new flow never goes out beside one of the old.
      for (let old = this.findRetiring(found); old; old = this.findRetiring(found)) await old.retired;
      if (released) throw new Error('released before the terminal was identified');
      // No await between finding and adding: two configurations resolving at once cannot both miss each other.
      shared = this.terminals.find((terminal) => sameTerminal(terminal.identity, found));
      if (shared) {
        shared.users += 1;
        const applying = shared.options;
        const settings: string[] = differences(applying, options);
        const described = settings.map((key) => `${key} (${settingText(applying[key as keyof TerminalClientOptions])})`);
        if (options.journal && applying.journal && options.journal !== applying.journal) {
          settings.push('journal');
          described.push(`journal (${applying.journal.path})`);
        }
        if (settings.length > 0) {
          owner.warn?.(`The terminal ${found.label} is also configured by "${shared.owner.label}"; its settings apply to both: ${described.join(', ')}.`, {
            terminal: found.label,
            owner: shared.owner.label,
            settings,
          });
        }
        return shared.client;
      }
      const created = new TerminalClient(options);
      shared = { identity: found, client: created, options, owner, users: 1 };
      this.terminals.push(shared);
      created.start();
      return created;
    });
    client.catch(() => undefined); // callers see it when they await
    return {
      client,
      identity,
      release: () => {
        if (released) return;
        released = true;
        const mine = shared;
        if (!mine) return;
        mine.users -= 1;
        if (mine.users > 0) return;
        const at = this.terminals.indexOf(mine);
        if (at >= 0) this.terminals.splice(at, 1);
        this.retire(mine);
      },
    };
  }

  /** Closes a client nobody uses any more, once nothing holds its terminal. */
  private retire(terminal: SharedTerminal): void {
    const { client, identity } = terminal;
    const retiring: RetiringTerminal = {
      identity,
      client,
      retired: client
        .idle()
        .then(() => client.close(explain('stop.flowStopped')))
        .catch(() => undefined) // closing is the client's own business; the terminal is free either way
        .then(() => {
          const at = this.retiring.indexOf(retiring);
          if (at >= 0) this.retiring.splice(at, 1);
        }),
    };
    this.retiring.push(retiring);
  }

  private findRetiring(identity: TerminalIdentity): RetiringTerminal | undefined {
    return this.retiring.find((terminal) => sameTerminal(terminal.identity, identity));
  }

  /** The shared client for a terminal, if one is in use: for a connection test that must not disturb it. */
  find(identity: TerminalIdentity): TerminalClient | undefined {
    return (this.terminals.find((terminal) => sameTerminal(terminal.identity, identity)) ?? this.findRetiring(identity))?.client;
  }
}

function differences(first: TerminalClientOptions, second: TerminalClientOptions): (typeof LINK_SETTINGS)[number][] {
  return LINK_SETTINGS.filter((key) => first[key] !== second[key]);
}

/** A setting's value for a log line: numbers, words and switches as they are; a journal or transport only as set. */
function settingText(value: unknown): string {
  if (value === undefined) return 'default';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'set';
}
