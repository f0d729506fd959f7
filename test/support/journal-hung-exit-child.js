'use strict';
// A process whose journal write hangs in a thread-pool thread (the write opens a FIFO that no
// one reads: a wait a signal can end, as on a hung network mount). It prints what the request
// got, then exits; Node.js alone would wait for that thread for ever. argv: journal file, FIFO.
const fs = require('node:fs');
const { Journal } = require('../../dist/src');
const { createRequest } = require('../../dist/src/protocol');
const { nodeFileSystem } = require('../../dist/src/journal/file-system');

const [file, fifo] = process.argv.slice(2);
const hangingWrites = {
  ...nodeFileSystem,
  async open(target, mode) {
    const handle = await nodeFileSystem.open(target, mode);
    return { ...handle, append: () => fs.promises.open(fifo, 'w').then(() => 0) };
  },
};
const sourced = (value, field) => ({ value, field });
const request = createRequest({ action: 'pay', amount: sourced('1', 'a'), invoice: sourced('HUNG', 'i'), receipt: sourced('ON', 'r'), custrcpt: sourced('ON', 'c') }, { decimals: 2 });
const journal = new Journal(file, { fs: hangingWrites, ioTimeoutMs: 200 });
journal.begin(request).then(
  () => console.log('recorded'),
  (error) => {
    console.log(`refused: ${error.message}`);
    process.exit(0);
  },
);
