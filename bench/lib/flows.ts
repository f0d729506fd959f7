/** The flows the bench deploys, as the editor would save them. */
import { terminalConfigNode } from '../../test/support/terminal-config';

/** A node of a flow as the editor saves it. */
export type FlowNode = Record<string, unknown> & { id: string; type: string };

export const terminalConfig = terminalConfigNode;

const TAB = 'bench-tab';

export function tab(label = 'benchmark'): FlowNode {
  return { id: TAB, type: 'tab', label };
}

/** A flow node; Node-RED treats any node without a position as a config node. */
function placed(node: Record<string, unknown> & { id: string; type: string }): FlowNode {
  return { x: 100, y: 100, z: TAB, ...node };
}

function probe(id: string, wires: string[]): FlowNode {
  return placed({ id, type: 'bench-probe', name: id, wires: [wires] });
}

/** probe -> mypos-<action> -> both outputs back to the probe. */
export function actionWithProbe({ probeId, nodeId, action, terminalId }: { probeId: string; nodeId: string; action: string; terminalId: string }): FlowNode[] {
  return [
    probe(probeId, [nodeId]),
    placed({
      id: nodeId,
      type: `mypos-${action}`,
      name: nodeId,
      terminal: terminalId,
      receipt: 'OFF',
      custrcpt: 'OFF',
      wires: [[probeId], [probeId]],
    }),
  ];
}

/**
 * What a Node-RED user builds without this package: a template node writes the request, the
 * core `tcp request` node sends it and returns the reply, the core `xml` node parses it. A catch
 * node brings parse errors back to the probe (without it they vanish into the log).
 * mode 'sit': "keep connection open", each chunk received is a reply.
 * mode 'time': "after a fixed timeout of windowMs", a new connection per request.
 */
export function coreFlow({ prefix, port, mode, windowMs = 20 }: { prefix: string; port: number; mode: 'sit' | 'time'; windowMs?: number }): {
  ids: { probe: string; template: string; tcp: string; xml: string; catch: string };
  nodes: FlowNode[];
} {
  const ids = {
    probe: `${prefix}-probe`,
    template: `${prefix}-template`,
    tcp: `${prefix}-tcp`,
    xml: `${prefix}-xml`,
    catch: `${prefix}-catch`,
  };
  return {
    ids,
    nodes: [
      probe(ids.probe, [ids.template]),
      placed({
        id: ids.template,
        type: 'template',
        name: 'build request XML',
        field: 'payload',
        fieldType: 'msg',
        format: 'handlebars',
        syntax: 'mustache',
        output: 'str',
        template: CORE_TEMPLATE,
        wires: [[ids.tcp]],
      }),
      placed({
        id: ids.tcp,
        type: 'tcp request',
        name: `terminal (${mode})`,
        server: '127.0.0.1',
        port: String(port),
        out: mode,
        ret: 'string',
        splitc: mode === 'time' ? String(windowMs) : ' ',
        newline: '',
        trim: false,
        tls: '',
        wires: [[ids.xml]],
      }),
      placed({ id: ids.xml, type: 'xml', name: 'parse reply', property: 'payload', attr: '', chr: '', wires: [[ids.probe]] }),
      placed({ id: ids.catch, type: 'catch', name: '', scope: [ids.template, ids.tcp, ids.xml], uncaught: false, wires: [[ids.probe]] }),
    ],
  };
}

// Mustache escapes & < > " ' as entities, which XML accepts. A completion when msg.preauthcode is set.
const CORE_TEMPLATE = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
{{#preauthcode}}<preauthcompletion>
  <preauthcode>{{preauthcode}}</preauthcode>
  <sum>{{payload}}</sum>
  <receipt>OFF</receipt>
  <custrcpt>OFF</custrcpt>
</preauthcompletion>{{/preauthcode}}{{^preauthcode}}<pay>
  <invoice>{{invoice}}</invoice>
  <sum>{{payload}}</sum>
  <receipt>OFF</receipt>
  <custrcpt>OFF</custrcpt>
</pay>{{/preauthcode}}
`;
