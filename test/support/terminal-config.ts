/** A `mypos-terminal` config node as the editor saves it with its defaults, for 127.0.0.1:port. */
export function terminalConfigNode(id: string, port: number | string, overrides: Record<string, unknown> = {}): Record<string, unknown> & { id: string; type: string } {
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
