#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { errorText } from '../protocol/messages';
import { SimulatorFault, TerminalSimulator } from './simulator';

const FAULTS: readonly SimulatorFault[] = ['none', 'decline', 'silent', 'drop', 'halfway', 'bytewise', 'garbage', 'twice', 'bad-xml', 'wrong-root'];

const USAGE = `Usage: mypos-simulator [options]

Stands in for the myPOS Payment Interface app, so flows can be tried without a terminal.

Options:
  --port N               TCP port to listen on (default 51042)
  --host ADDRESS         address to listen on (default 127.0.0.1)
  --serial PATH          serve a serial device instead of TCP, e.g. one end of a socat pty pair
  --delay MS             wait before each answer, like a customer at the card reader (default 0)
  --fault NAME           misbehave on every request: ${FAULTS.join(', ')}
  --close-after-answer   close the connection after each answer
  --help                 show this text

Amounts ending in .51 are declined, .52 cancelled by the customer, .53 failed.`;

function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '51042' },
      host: { type: 'string', default: '127.0.0.1' },
      serial: { type: 'string' },
      delay: { type: 'string', default: '0' },
      fault: { type: 'string', default: 'none' },
      'close-after-answer': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  const delayMs = Number(values.delay);
  const fault = values.fault as SimulatorFault;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got ${values.port}`);
  if (!Number.isFinite(delayMs) || delayMs < 0) fail(`--delay must be a number of milliseconds, got ${values.delay}`);
  if (!FAULTS.includes(fault)) fail(`--fault must be one of ${FAULTS.join(', ')}`);

  const simulator = new TerminalSimulator({
    behaviour: { fault, delayMs, closeAfterAnswer: values['close-after-answer'] },
  });
  const serialPath = values.serial;
  if (serialPath) {
    simulator.serveSerial(serialPath).then(
      () => console.log(`myPOS terminal simulator serving ${serialPath}`),
      (error: unknown) => fail(`cannot open ${serialPath}: ${errorText(error)}`),
    );
  } else {
    simulator.listen(port, values.host).then(
      (listening) => console.log(`myPOS terminal simulator listening on ${values.host}:${listening}`),
      (error: unknown) => fail(`cannot listen on ${values.host}:${port}: ${errorText(error)}`),
    );
  }
  const stop = () => {
    void simulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function fail(message: string): never {
  console.error(`mypos-simulator: ${message}\n\n${USAGE}`);
  process.exit(2);
}

main();
