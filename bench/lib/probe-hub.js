'use strict';
/**
 * Connects the bench to its `bench-probe` nodes inside Node-RED: the bench sends a message out of
 * a probe into the flow, and hears every message that reaches a probe's input.
 */

const probes = new Map(); // node id -> { node, listener }

function attach(node) {
  probes.set(node.id, { node, listener: undefined });
}

function detach(node) {
  if (probes.get(node.id)?.node === node) probes.delete(node.id);
}

function arrive(id, msg) {
  probes.get(id)?.listener?.(msg);
}

/** Calls listener(msg) for every message reaching probe `id`. */
function listen(id, listener) {
  const probe = probes.get(id);
  if (!probe) throw new Error(`no deployed bench-probe ${id}`);
  probe.listener = listener;
}

/** Sends msg out of probe `id`, through the flow's wires, as any upstream node would. */
function send(id, msg) {
  const probe = probes.get(id);
  if (!probe) throw new Error(`no deployed bench-probe ${id}`);
  probe.node.send(msg);
}

function has(id) {
  return probes.has(id);
}

module.exports = { attach, detach, arrive, listen, send, has };
