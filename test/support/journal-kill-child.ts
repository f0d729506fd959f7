// Runs the journal workload on a real file and kills itself with SIGKILL just before its n-th
// file operation (argv: journal file, n; n = 0 runs to the end and prints the number of
// operations). Each request (and operator's finding) is printed as a JSON line the moment it is
// tried and again when it counts as sent (confirmed), written synchronously so that nothing
// printed is lost with the process.
import fs from 'node:fs';
import { Journal } from '../../src/journal/journal';
import { nodeFileSystem } from '../../src/journal/file-system';
import { FaultFileSystem } from './fault-fs';
import { NOW, workload } from './journal-workload';

const [file, n] = [process.argv[2], Number(process.argv[3])];
if (file === undefined) throw new Error('usage: journal-kill-child <journal file> <n>');
const counted = new FaultFileSystem(nodeFileSystem);
counted.onOperation = (entry) => {
  if (entry.n === n) process.kill(process.pid, 'SIGKILL');
};
const journal = new Journal(file, { fs: counted, now: () => new Date(NOW) });
const report = (record: Parameters<NonNullable<Parameters<typeof workload>[1]>>[0]): number =>
  fs.writeSync(1, `${JSON.stringify('resolution' in record ? record : { invoice: record.invoice, action: record.action, truth: record.truth, sent: record.sent })}\n`);
void workload(journal, report)
  .then(() => journal.close())
  .then(() => fs.writeSync(1, `${JSON.stringify({ ops: counted.ops })}\n`));
