/**
 * The example flows as the Node-RED editor draws them, estimated without a browser: each node's
 * box (its width grows with its label, as the editor sizes it), its inject or debug button, and
 * its wires. The label widths use the metrics of Arial/Helvetica at 14 px, the editor's node label
 * font (Chromium on Linux draws it with Liberation Sans, which has the same metrics).
 * test/e2e/examples.test.ts measures the real thing in a browser.
 */

import fs from 'node:fs';
import path from 'node:path';
import type { FlowNode } from './flow-node';

const root = path.join(__dirname, '..', '..');

/** A node of a flow as drawn on the canvas (see boxesOf). */
export interface Box {
  id: string;
  label: string;
  type: string;
  x: number;
  y: number;
  w: number;
  h: number;
  outputs: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A wire as drawn (see wiresOf). */
export interface Wire {
  from: Box;
  to: Box;
  backwards: boolean;
  points: [number, number][];
}

/** An action node's label template per action (label.node of a catalog). */
export type LabelTemplates = Record<string, string>;

/** Node-RED's view constants (editor-client view.js). */
const NODE_WIDTH = 100;
const NODE_HEIGHT = 30;
const GRID = 20;
/** Inject's button: 32 px wide, 25 px left of the node. Debug's: at the right edge, 26 px beyond it. */
const LEFT_BUTTON = 25;
const RIGHT_BUTTON = 26;

/** Advance widths of Arial / Helvetica, in 1/1000 em, for printable ASCII. */
const WIDTHS = (() => {
  const table: Record<string, number> = {};
  const set = (chars: string, widths: number[]): void => [...chars].forEach((c, i) => (table[c] = widths[i]));
  set(' !"#$%&\'()*+,-./', [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278]);
  set('0123456789', Array(10).fill(556));
  set(':;<=>?@', [278, 278, 584, 584, 584, 556, 1015]);
  set('ABCDEFGHIJKLMNOPQRSTUVWXYZ', [667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611]);
  set('[\\]^_`', [278, 278, 278, 469, 556, 333]);
  set('abcdefghijklmnopqrstuvwxyz', [556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500]);
  set('{|}~…', [334, 260, 334, 584, 1000]);
  return table;
})();

/** Width in px of a label at 14 px; an accented letter is as wide as its base letter. */
export function textWidth(text: string): number {
  let units = 0;
  for (const char of text) {
    const base = char.normalize('NFD')[0] ?? char;
    units += WIDTHS[char] ?? WIDTHS[base] ?? 556;
  }
  return (units * 14) / 1000;
}

/** The action nodes' label templates (label.node.<action>) of a language's catalog. */
export function labelTemplates(language: string): LabelTemplates {
  const file = path.join(root, 'nodes', 'locales', language, 'mypos-actions.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { 'mypos-actions': { label: { node: LabelTemplates } } })['mypos-actions'].label.node;
}

/** What an action node's label shows: its first input's source, as nodes/mypos-actions.html words it. */
const FIRST_INPUT: Record<string, string> = { pay: 'amount', refund: 'amount', preauth: 'amount', complete: 'amount', cancel: 'preauthcode' };
const DEFAULT_PROPERTY: Record<string, string> = { amount: 'payload', invoice: 'invoice', preauthcode: 'preauthcode' };

function describeSource(node: FlowNode, input: string): string {
  let type = node[`${input}Type`] as string | undefined;
  let value = node[input] === undefined || node[input] === null ? '' : String(node[input]);
  if (!type) [type, value] = value.trim() === '' ? ['msg', DEFAULT_PROPERTY[input] ?? ''] : [input === 'amount' ? 'num' : 'str', value];
  if (type === 'msg' && value.trim() === '') value = DEFAULT_PROPERTY[input] ?? '';
  const short = value.length > 24 ? `${value.slice(0, 23)}…` : value;
  return ['msg', 'flow', 'global', 'env'].includes(type) ? `${type}${value.startsWith('[') ? '' : '.'}${short}` : short;
}

/** The label the editor shows for a node of an example, with the action labels of `templates`. */
function labelOf(node: FlowNode, templates: LabelTemplates): string {
  if (node.name) return node.name;
  const action = /^mypos-(\w+)$/.exec(node.type);
  const template = action?.[1] === undefined ? undefined : templates[action[1]];
  if (action?.[1] !== undefined && template) return template.replace('__source__', describeSource(node, FIRST_INPUT[action[1]] ?? ''));
  return node.type;
}

const NO_INPUT = new Set(['inject', 'comment', 'link in', 'status']);

/**
 * The boxes of a flow's nodes on the canvas: { id, label, type, x, y, w, h, left, right, top,
 * bottom }, where left/right include an inject's or debug's button.
 */
export function boxesOf(flow: readonly FlowNode[], templates: LabelTemplates): Box[] {
  return flow
    .filter((node): node is FlowNode & { x: number; y: number } => typeof node.x === 'number' && typeof node.y === 'number')
    .map((node) => {
      const label = labelOf(node, templates);
      const hideLabel = Object.hasOwn(node, 'l') ? !node.l : node.type === 'link in' || node.type === 'link out';
      const inputs = NO_INPUT.has(node.type) ? 0 : 1;
      const outputs = (node.wires || []).length;
      const w = hideLabel ? NODE_HEIGHT : Math.max(NODE_WIDTH, GRID * Math.ceil((textWidth(label) + 50 + (inputs ? 7 : 0)) / GRID));
      const h = Math.max(NODE_HEIGHT, outputs * 15);
      return {
        id: node.id,
        label,
        type: node.type,
        x: node.x,
        y: node.y,
        w,
        h,
        outputs,
        left: node.x - w / 2 - (node.type === 'inject' ? LEFT_BUTTON : 0),
        right: node.x + w / 2 + (node.type === 'debug' ? RIGHT_BUTTON : 0),
        top: node.y - h / 2,
        bottom: node.y + h / 2,
      };
    });
}

/** The distance between two boxes (0 when they touch or overlap; negative is not reported). */
export function gapBetween(a: Box, b: Box): number {
  const dx = Math.max(a.left - b.right, b.left - a.right, 0);
  const dy = Math.max(a.top - b.bottom, b.top - a.bottom, 0);
  return Math.max(dx, dy);
}

/**
 * Points along each wire that goes forward (to a node on the right), drawn as the editor draws
 * it: { from, to, points: [[x, y]…] }. Ports: outputs 13 px apart around the node's middle.
 */
export function wiresOf(flow: readonly FlowNode[], boxes: readonly Box[]): Wire[] {
  const byId = new Map(boxes.map((box) => [box.id, box]));
  const wires: Wire[] = [];
  for (const node of flow) {
    const source = byId.get(node.id);
    if (!source) continue;
    (node.wires || []).forEach((targets, port) => {
      const y1 = source.y + (port - (source.outputs - 1) / 2) * 13;
      const x1 = source.x + source.w / 2 + 5;
      for (const id of targets) {
        const target = byId.get(id);
        if (!target) continue;
        const x2 = target.x - target.w / 2 - 5;
        const y2 = target.y;
        const delta = Math.hypot(x2 - x1, y2 - y1);
        if (x2 <= x1) {
          wires.push({ from: source, to: target, backwards: true, points: [] });
          continue;
        }
        const scale = delta < NODE_WIDTH ? 0.75 - 0.75 * ((NODE_WIDTH - delta) / NODE_WIDTH) : 0.75;
        const c1 = [x1 + NODE_WIDTH * scale, y1];
        const c2 = [x2 - NODE_WIDTH * scale, y2];
        const points: [number, number][] = [];
        for (let i = 0; i <= 100; i += 1) {
          const t = i / 100;
          const u = 1 - t;
          points.push([u * u * u * x1 + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t * t * t * x2, u * u * u * y1 + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t * t * t * y2]);
        }
        wires.push({ from: source, to: target, backwards: false, points });
      }
    });
  }
  return wires;
}

/** The example files: [{ file, name, flow }], sorted as the editor lists them. */
export function examples(): { file: string; name: string; flow: FlowNode[] }[] {
  const dir = path.join(root, 'examples');
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, name: file.replace(/\.json$/, ''), flow: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[] }));
}
