// A process whose journal write hangs in a thread-pool thread (the write opens a FIFO that no
// one reads: a wait a signal can end, as on a hung network mount). It prints what the request
// got, then exits; Node.js alone would wait for that thread for ever. argv: journal file, FIFO.
import fs from 'node:fs';
import { Journal } from '../../src';
import { createRequest } from '../../src/protocol';
import type { Field } from '../../src/protocol/amount';
import type { Sourced } from '../../src/protocol/request';
import { nodeFileSystem } from '../../src/journal/file-system';
import type { JournalFileSystem } from '../../src/journal/file-system';

const [file, fifo] = process.argv.slice(2);
const hangingWrites: JournalFileSystem = {
  ...nodeFileSystem,
  async open(target, mode) {
    const handle = await nodeFileSystem.open(target, mode);
    return { ...handle, append: () => fs.promises.open(fifo, 'w').then(() => 0) };
  },
};
const sourced = (value: unknown, field: Field): Sourced => ({ value, field });
const request = createRequest({ action: 'pay', amount: sourced('1', 'a'), invoice: sourced('HUNG', 'i'), receipt: sourced('ON', 'r'), custrcpt: sourced('ON', 'c') }, { decimals: 2 });
const journal = new Journal(file, { fs: hangingWrites, ioTimeoutMs: 200 });
journal.begin(request).then(
  () => console.log('recorded'),
  (error: unknown) => {
    console.log(`refused: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(0);
  },
);
