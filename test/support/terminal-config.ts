import type { FlowNode } from './flow-node';

/** A `mypos-terminal` config node as the editor saves it with its defaults, for 127.0.0.1:port. */
export function terminalConfigNode(id: string, port: number | string, overrides: Record<string, unknown> = {}): FlowNode {
  return {
    id,
    type: 'mypos-terminal',
    name: `terminal ${id}`,
    connection: 'tcp',
    host: '127.0.0.1',
    port: String(port),
    serialPath: '',
    baudRate: '115200',
    responseTimeout: '180',
    connectTimeout: '10',
    decimals: '2',
    maxAmount: '',
    ...overrides,
  };
}

/** The same for a serial link (a Bluetooth terminal's /dev/rfcomm0, or a pty in the tests). */
export function serialConfigNode(id: string, serialPath: string, overrides: Record<string, unknown> = {}): FlowNode {
  return terminalConfigNode(id, 51042, { connection: 'serial', serialPath, ...overrides });
}
