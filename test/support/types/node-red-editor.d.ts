// The Node-RED editor's globals, as the functions the browser tests hand to page.evaluate see them
// in the editor's page (test/e2e, test/support/editor-session). Only the members the tests use;
// a node's own properties are unknown until a test narrows them.

/** A node (or config node) of the editor's model. */
interface EditorNode {
  readonly id: string;
  readonly type: string;
  name?: string;
  z?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  moving?: boolean;
  terminal?: string;
  port?: string | number;
  changed?: boolean;
  dirty?: boolean;
  valid?: boolean;
  users: EditorNode[];
  [property: string]: unknown;
}

/** A property of a node type's `defaults`. */
interface EditorNodeProperty {
  value: unknown;
  validate?: (this: Record<string, unknown>, value: unknown, options: unknown) => unknown;
}

/** A registered node type's definition. */
interface EditorNodeDefinition {
  category: string;
  defaults: Record<string, EditorNodeProperty>;
  _(key: string): string;
}

interface EditorLink {
  source: EditorNode;
  target: EditorNode;
  sourcePort: number;
  link?: boolean;
}

declare const RED: {
  nodes: {
    getType(type: string): EditorNodeDefinition | null;
    node(id: string): EditorNode | null;
    filterNodes(filter: { z?: string; type?: string }): EditorNode[];
    filterLinks(filter: Record<string, unknown>): EditorLink[];
    eachNode(callback: (node: EditorNode) => void): void;
    eachConfig(callback: (node: EditorNode) => void): void;
    dirty(): boolean;
    dirty(dirty: boolean): void;
    id(): string;
  };
  view: {
    scale(): number;
    importNodes(nodes: Record<string, unknown>[], options?: { generateIds?: boolean }): void;
  };
  workspaces: {
    active(): string;
    show(id: string): void;
  };
  utils: {
    getNodeLabel(node: EditorNode, defaultLabel?: string): string;
  };
  sidebar: {
    show(tab: string): void;
    help: { show(type: string): void };
  };
  events: {
    emit(event: string, ...args: unknown[]): void;
  };
};

/** The editor's jQuery, as far as the tests use it. */
interface EditorJQuery {
  readonly length: number;
  text(): string;
  val(): unknown;
  attr(name: string): string | undefined;
  is(selector: string): boolean;
  hasClass(name: string): boolean;
  first(): EditorJQuery;
  filter(predicate: (index: number, element: HTMLElement) => boolean): EditorJQuery;
  width(width: number): EditorJQuery;
  css(name: string, value: string | number): EditorJQuery;
  css(properties: Record<string, string | number>): EditorJQuery;
  map<T>(callback: (index: number, element: HTMLElement) => T): { get(): T[] };
}

/** A jQuery promise, with the callbacks jqXHR.always gets. */
interface EditorJQueryXHR extends PromiseLike<unknown> {
  always(callback: (a: { status?: number }, b: unknown, c: { status?: number } | undefined) => void): EditorJQueryXHR;
}

declare const $: {
  (selector: string | Element | null): EditorJQuery;
  ajax(options: { url: string; method: string; contentType?: string; data?: string }): EditorJQueryXHR;
  getJSON(url: string): EditorJQueryXHR;
};

/** The editor's page has RED once its scripts have loaded. */
interface Window {
  RED?: typeof RED;
}
