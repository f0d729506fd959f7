/**
 * Connects the bench to its `bench-probe` nodes inside Node-RED: the bench sends a message out of
 * a probe into the flow, and hears every message that reaches a probe's input.
 */
import type { NodeMessage } from '../../nodes/node-red';

/** What the hub needs of a deployed bench-probe node. */
export interface ProbeNode {
  id: string;
  send(msg: NodeMessage): void;
}

export type ProbeMessage = NodeMessage;

const probes = new Map<string, { node: ProbeNode; listener: ((msg: ProbeMessage) => void) | undefined }>(); // node id -> { node, listener }

export function attach(node: ProbeNode): void {
  probes.set(node.id, { node, listener: undefined });
}

export function detach(node: ProbeNode): void {
  if (probes.get(node.id)?.node === node) probes.delete(node.id);
}

export function arrive(id: string, msg: ProbeMessage): void {
  probes.get(id)?.listener?.(msg);
}

/** Calls listener(msg) for every message reaching probe `id`. */
export function listen(id: string, listener: (msg: ProbeMessage) => void): void {
  const probe = probes.get(id);
  if (!probe) throw new Error(`no deployed bench-probe ${id}`);
  probe.listener = listener;
}

/** Sends msg out of probe `id`, through the flow's wires, as any upstream node would. */
export function send(id: string, msg: ProbeMessage): void {
  const probe = probes.get(id);
  if (!probe) throw new Error(`no deployed bench-probe ${id}`);
  probe.node.send(msg);
}

export function has(id: string): boolean {
  return probes.has(id);
}
