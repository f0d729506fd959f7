// The editor against a Node-RED with the packed package (`npm pack`, unpacked into a temporary
// folder) and a TerminalSimulator on 127.0.0.1, for the browser tests of the examples
// (test/e2e/examples.test.ts, test/e2e/kiosk.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TerminalSimulator } from '../../src';
import type { SimulatorOptions } from '../../src';
import { openEditor } from './editor-session';
import type { EditorSession, OpenEditorOptions } from './editor-session';
import { packedPackage } from './packed-package';

export interface PackedEditor {
  readonly session: EditorSession;
  /** The simulator started with the editor, on a free port of 127.0.0.1. */
  readonly simulator: TerminalSimulator;
  /** Closes the editor and its Node-RED, the simulator, and removes the packed package. */
  close(): Promise<void>;
}

/**
 * Starts a TerminalSimulator on a free port of 127.0.0.1, packs the package into a new temporary
 * folder (named after `prefix`) and opens the editor with it installed and `options(simulator's
 * port)`. On a failure what was started is closed again.
 */
export async function openPackedEditor(prefix: string, simulatorOptions: SimulatorOptions, options: (terminalPort: number) => Omit<OpenEditorOptions, 'install'>): Promise<PackedEditor> {
  const simulator = new TerminalSimulator(simulatorOptions);
  let workDir: string | undefined;
  let session: EditorSession | undefined;
  const close = async (): Promise<void> => {
    if (session) await session.close();
    await simulator.close();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const terminalPort = await simulator.listen(0, '127.0.0.1');
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    session = await openEditor({ ...options(terminalPort), install: packedPackage(workDir) });
    return { session, simulator, close };
  } catch (error) {
    await close();
    throw error;
  }
}
