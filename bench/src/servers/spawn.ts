// Starts a benchmark child process (a server or the load generator) and talks to it over IPC.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ipcClient } from '../ipc.ts';

export interface Child {
  /** The server's base URL; empty for the load generator. */
  url: string;
  call: ReturnType<typeof ipcClient>;
  stop(): Promise<void>;
}

/**
 * Forks `bench/src/<relativePath>` on this same Node, and waits for its "ready". With
 * `drainStdout`, its stdout is a pipe read and discarded here (a server's request log, as a
 * log collector would take it).
 */
export async function startChild(
  relativePath: string,
  env: Record<string, string> = {},
  options: { drainStdout?: boolean } = {},
): Promise<Child> {
  const file = fileURLToPath(new URL(`../${relativePath}`, import.meta.url));
  const child: ChildProcess = fork(file, [], {
    env: { ...process.env, ...env },
    execArgv: [],
    stdio: ['ignore', options.drainStdout === true ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  });
  child.stdout?.resume();
  const call = ipcClient(child);
  const url = await new Promise<string>((resolve, reject) => {
    const onMessage = (message: { ready?: boolean; url?: string }) => {
      if (message.ready !== true) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message.url ?? '');
    };
    const onExit = (code: number | null) =>
      reject(new Error(`${relativePath} exited with ${code} before it was ready`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  return {
    url,
    call,
    // The child exits once its IPC channel closes.
    stop: () => stopChild(child, () => child.disconnect()),
  };
}

/** Asks `child` to stop with `ask` (unless it has already exited) and resolves once it has. */
export function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    ask();
  });
}
