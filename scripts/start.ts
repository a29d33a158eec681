/**
 * `npm start`: the whole system on loopback with zero configuration — the
 * local OpenID Provider and the API, each in its own process so that each reads
 * its own environment and logs under its own name. Ctrl-C (SIGINT) or SIGTERM
 * stops them all; if one of them dies, the others are stopped too and the exit
 * code says so.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Part {
  name: string;
  entry: string;
}

const parts: Part[] = [
  { name: 'idp', entry: 'apps/dev-idp/src/main.ts' },
  { name: 'api', entry: 'apps/api/src/main.ts' },
];

const children = new Map<string, ChildProcess>();
let stopping = false;
let exitCode = 0;

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  createInterface({ input: stream }).on('line', (line) => out.write(`[${name}] ${line}\n`));
}

function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}

for (const part of parts) {
  // process.execPath is the Node 24 that npm put on the PATH for this script.
  const child = spawn(process.execPath, [part.entry], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(part.name, child);
  prefixLines(part.name, child.stdout, process.stdout);
  prefixLines(part.name, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(part.name);
    if (!stopping) {
      console.error(`[start] ${part.name} stopped (${signal ?? `exit code ${code}`}); stopping the rest.`);
      exitCode = 1;
      stopAll('SIGTERM');
    } else if (code !== 0 && code !== null) {
      exitCode = code;
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => stopAll('SIGTERM'));
}
