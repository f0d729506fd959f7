/**
 * The small part of Node-RED's runtime API these nodes use. Declared here rather than pulling in
 * @types/node-red and its dependency tree.
 */

export interface NodeMessage {
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
  /**
   * Statuses that say whether the terminal can be reached carry it here too, in words that do not
   * depend on the language: a `status` node's `msg.status.readiness`.
   */
  readiness?: 'ready' | 'unreachable';
  /** A late answer's status carries what it was about and what it said: a `status` node's `msg.status.late`. */
  late?: Readonly<Record<string, string>>;
}

export type SendFunction = (msg: NodeMessage | (NodeMessage | null)[]) => void;
export type DoneFunction = (error?: Error) => void;

export interface Node {
  readonly id: string;
  name?: string;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  status(status: NodeStatus): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string, msg?: NodeMessage): void;
}

export interface NodeDefinition {
  id: string;
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface NodeAPI {
  nodes: {
    createNode(node: object, definition: NodeDefinition): void;
    registerType(type: string, constructor: (this: Node, definition: NodeDefinition) => void): void;
    getNode(id: string): unknown;
  };
  httpAdmin: {
    get(path: string, ...handlers: unknown[]): void;
    post(path: string, ...handlers: unknown[]): void;
  };
  auth: {
    needsPermission(permission: string): unknown;
  };
  /** Translates a message catalog key; the node's own catalog when the key has no namespace. */
  _(key: string, substitutions?: Record<string, unknown>): string;
  util: {
    /** Reads a typed input (msg, flow, global, str, num, env, jsonata…); the callback form works for async context stores and JSONata. */
    evaluateNodeProperty(value: string, type: string, node: Node, msg: NodeMessage, callback: (error: Error | null | undefined, result?: unknown) => void): void;
  };
  settings: { userDir?: string; [key: string]: unknown };
  /** Node-RED's editor comms: a message on a topic to every editor that subscribed to it. */
  comms?: {
    publish(topic: string, data: unknown, retain?: boolean): void;
  };
}
