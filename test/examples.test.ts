/**
 * The example flows drawn cleanly, checked without a browser from an estimate of how the editor
 * sizes nodes (test/support/example-layout), with the English and the Hungarian node labels:
 * no node overlaps another or comes closer than 20 px to it; none leaves the canvas, neither
 * where the file puts it (`npm start` deploys it there) nor after Import, which hangs the flow
 * on the pointer by its first node until a click drops it; no wire runs through a node; and a
 * debug node fed by an action node's output 2 shows a sentence, not a collapsed `msg : Object`.
 * test/e2e/examples.test.ts checks the same in the real editor, and clicks through them.
 */

import assert from 'node:assert/strict';
import { boxesOf, examples, gapBetween, labelTemplates, wiresOf } from './support/example-layout';
import type { FlowNode } from './support/flow-node';

const LANGUAGES = ['en-US', 'hu'];
/** Space between nodes, so that neither their labels nor their wires run together. */
const MIN_GAP = 20;
/** Import drops the flow's first node where the user clicks: a click this far from the canvas's top left corner must do. */
const DROP = { x: 120, y: 120 };

describe('example flows: layout (estimated)', function () {
  for (const { file, flow } of examples()) {
    describe(file, function () {
      for (const language of LANGUAGES) {
        const boxes = () => boxesOf(flow, labelTemplates(language));

        it(`no node overlaps another or comes within ${MIN_GAP} px of it (${language} labels)`, function () {
          const all = boxes();
          const close = [];
          for (let i = 0; i < all.length; i += 1) {
            for (let j = i + 1; j < all.length; j += 1) {
              const gap = gapBetween(all[i], all[j]);
              const overlap = all[i].left < all[j].right && all[j].left < all[i].right && all[i].top < all[j].bottom && all[j].top < all[i].bottom;
              if (overlap || gap < MIN_GAP) close.push(`"${all[i].label}" / "${all[j].label}": ${overlap ? 'overlap' : `${gap.toFixed(0)} px`}`);
            }
          }
          assert.deepEqual(close, []);
        });

        it(`every node and button lies on the canvas, as deployed and when dropped at (${DROP.x}, ${DROP.y}) after Import (${language} labels)`, function () {
          const all = boxes();
          const first = all[0];
          const off: string[] = [];
          for (const [where, dx, dy] of [
            ['as deployed', 0, 0],
            ['after Import', DROP.x - first.x, DROP.y - first.y],
          ] as [string, number, number][]) {
            for (const box of all) {
              if (box.left + dx < 0 || box.top + dy < 0) off.push(`${where}: "${box.label}" at left ${(box.left + dx).toFixed(0)}, top ${(box.top + dy).toFixed(0)}`);
            }
          }
          assert.deepEqual(off, []);
        });

        it(`no wire runs through a node, and none runs backwards (${language} labels)`, function () {
          const all = boxes();
          const through = [];
          for (const wire of wiresOf(flow, all)) {
            if (wire.backwards) {
              through.push(`"${wire.from.label}" → "${wire.to.label}" runs backwards`);
              continue;
            }
            for (const box of all) {
              if (box === wire.from || box === wire.to) continue;
              const inside = wire.points.some(([x, y]: number[]) => x > box.left + 2 && x < box.right - 2 && y > box.top + 2 && y < box.bottom - 2);
              if (inside) through.push(`"${wire.from.label}" → "${wire.to.label}" runs through "${box.label}"`);
            }
          }
          assert.deepEqual(through, []);
        });
      }

      it("a debug node on an action node's output 2 shows a sentence (msg.payload.message), not the whole message", function () {
        const nodes: readonly FlowNode[] = flow;
        const byId = new Map(nodes.map((node) => [node.id, node]));
        const shown: { name: string | undefined; shows: string }[] = [];
        for (const node of nodes) {
          if (!/^mypos-/.test(node.type) || node.type === 'mypos-terminal') continue;
          for (const id of node.wires?.[1] ?? []) {
            const target = byId.get(id);
            if (target && target.type === 'debug') shown.push({ name: target.name, shows: target.targetType === 'full' || target.complete === 'true' ? 'msg' : `msg.${target.complete}` });
          }
        }
        for (const { name, shows } of shown) assert.equal(shows, 'msg.payload.message', `debug node "${name}"`);
      });

      it('no debug node shows the whole message, which the sidebar collapses to "msg : Object"', function () {
        const nodes: readonly FlowNode[] = flow;
        const whole = nodes.filter((node) => node.type === 'debug' && (node.targetType === 'full' || node.complete === 'true')).map((node) => node.name);
        assert.deepEqual(whole, []);
      });
    });
  }
});
