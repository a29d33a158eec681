import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Writer } from '../../src/cli/run.ts';

/** The CLI's entry point, run as a user would run it. */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const BROWSER_SCRIPT = fileURLToPath(new URL('./fixtures/browser-to-sink.ts', import.meta.url));

/** A writer that keeps what was written. */
export function captureWriter(): Writer & { text: () => string } {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

/** Anything shaped like a JWT (header.payload.signature, base64url, header starting `{"`). */
export const JWT_SHAPED = /eyJ[\w-]*\.[\w-]+\.[\w-]+/;

/**
 * A loopback server that receives the URLs the CLI opens in "the browser"
 * (see fixtures/browser-to-sink.ts), and the `$BROWSER` value that sends them there.
 */
export interface UrlSink {
  browserCommand: string;
  url: string;
  next(): Promise<string>;
  close(): Promise<void>;
}

export async function startUrlSink(): Promise<UrlSink> {
  const received: string[] = [];
  const waiting: Array<(url: string) => void> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      res.end();
      const waiter = waiting.shift();
      if (waiter === undefined) received.push(body);
      else waiter(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // $BROWSER entries split on whitespace; these paths have none.
    browserCommand: `${process.execPath} ${BROWSER_SCRIPT}`,
    url: `http://127.0.0.1:${port}/`,
    next: () => {
      const url = received.shift();
      return url === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(url);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A CLI process and what it printed once it ended. */
export interface CliProcess {
  child: ChildProcess;
  result: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function spawnCli(args: readonly string[], env: Record<string, string>, cwd: string): CliProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('OIDC_') && name !== 'BROWSER'),
  );
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    cwd,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<Awaited<CliProcess['result']>>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}
