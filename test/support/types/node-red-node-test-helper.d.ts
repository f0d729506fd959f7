// node-red-node-test-helper ships no types. These are the parts the tests use, as the helper
// documents them; the nodes under test keep their own types (nodes/node-red.ts).
declare module 'node-red-node-test-helper' {
  import type { Server } from 'node:http';

  /** A message as a test node sends or receives it. */
  type TestMessage = Record<string, unknown>;

  /** A node of the loaded flow: the real node object, with the helper's `receive`. */
  interface TestNode {
    readonly id: string;
    readonly type: string;
    name?: string;
    receive(msg: TestMessage): void;
    on(event: 'input', listener: (msg: TestMessage) => void): void;
    on(event: string, listener: (...args: never[]) => void): void;
    once(event: string, listener: (...args: never[]) => void): void;
    removeListener(event: string, listener: (...args: never[]) => void): void;
    /** Node-RED's Node.close: stops the node (removed: deleted from the flow, not only stopped). */
    close(removed?: boolean): Promise<void>;
    /** Sinon spies the helper puts on every node's methods. */
    status: SinonSpy;
    send: SinonSpy;
    error: SinonSpy;
    warn: SinonSpy;
    log: SinonSpy;
  }

  interface SinonCall {
    readonly args: unknown[];
  }

  interface SinonSpy {
    (...args: unknown[]): unknown;
    readonly callCount: number;
    readonly called: boolean;
    readonly args: unknown[][];
    getCalls(): SinonCall[];
    resetHistory(): void;
  }

  /** A log event as Node-RED's logger receives it. */
  interface LogEvent {
    level: number;
    id?: string;
    type?: string;
    msg?: unknown;
  }

  interface LogSpy extends SinonSpy {
    readonly args: [LogEvent][];
    readonly FATAL: number;
    readonly ERROR: number;
    readonly WARN: number;
    readonly INFO: number;
    readonly DEBUG: number;
    readonly TRACE: number;
  }

  /** supertest's request, as far as the tests chain it. */
  interface TestResponse {
    readonly status: number;
    readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any shape: each test names what it reads
    readonly text: string;
    readonly headers: Record<string, string>;
  }

  interface TestRequest extends PromiseLike<TestResponse> {
    send(body: unknown): TestRequest;
    set(header: string, value: string): TestRequest;
    query(query: Record<string, string>): TestRequest;
    expect(status: number): TestRequest;
    expect(header: string, value: string | RegExp): TestRequest;
  }

  interface TestAgent {
    get(path: string): TestRequest;
    post(path: string): TestRequest;
    put(path: string): TestRequest;
    delete(path: string): TestRequest;
  }

  interface Settings {
    userDir?: string;
    [key: string]: unknown;
  }

  type NodeModule = (RED: never) => void;

  interface Helper {
    init(nodeRedRuntime?: string, userSettings?: Settings): void;
    settings(settings?: Settings): Settings;
    load(nodes: NodeModule | NodeModule[], flow: object[], credentials?: object): Promise<void>;
    setFlows(flow: object[], type: 'full' | 'nodes' | 'flows', credentials?: object): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): TestNode;
    clearFlows(): Promise<void>;
    request(): TestAgent;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    url(): string;
    log(): LogSpy;
    readonly _server: Server;
    readonly _sandbox?: { resetHistory(): void };
    readonly _RED?: { version(): string };
  }

  const helper: Helper;
  // The types above, for a test file's `import type { NodeModule } from 'node-red-node-test-helper'`.
  namespace helper {
    export type { NodeModule, TestMessage, TestNode };
  }
  export = helper;
}
