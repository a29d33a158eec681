// The API exactly as `npm run start -w @electron-oidc/api` starts it: `node src/main.ts` in
// apps/api, configured by the environment, its request log on stdout (a pipe this process
// drains, as a log collector would). Its CPU time is read from /proc (Linux): nothing is
// added to the process under test.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { CpuSnapshot } from '../ipc.ts';
import { stopChild } from './spawn.ts';
import type { Child } from './spawn.ts';

/** `src/main.ts` of this checkout's API. */
export const SHIPPED_API_MAIN = createRequire(import.meta.url).resolve('@electron-oidc/api/main');

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

async function cpuOf(pid: number): Promise<CpuSnapshot> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const micros = (ticks: string | undefined) => (Number(ticks) * 1_000_000) / TICKS_PER_SECOND;
  return { userMicros: micros(fields[11]), systemMicros: micros(fields[12]) };
}

export interface ShippedApi extends Child {
  /** Log lines the API has written so far. */
  logLines(): number;
}

/** A loopback port free right now (the API is told which one: with its log off it announces none). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once `GET url/healthz` answers, or rejects when `child` exits first. */
async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode} before it served`);
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the API at ${url} did not start`);
}

/** Starts `mainFile` (default: this checkout's API) as `npm start` does, and waits until it serves. */
export async function startShippedApi(
  env: Record<string, string>,
  mainFile = SHIPPED_API_MAIN,
): Promise<ShippedApi> {
  const port = await freePort();
  const child = spawn(process.execPath, [mainFile], {
    cwd: path.dirname(path.dirname(mainFile)),
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lines = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) lines += 1;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(url, child);
  const pid = child.pid ?? 0;
  return {
    url,
    logLines: () => lines,
    call: (async (type: string) => {
      if (type !== 'cpu') throw new Error(`the shipped API answers only cpu, not ${type}`);
      return cpuOf(pid);
    }) as Child['call'],
    // As at the end of a deployment: SIGTERM, the log written out, then the exit.
    stop: () => stopChild(child, () => child.kill('SIGTERM')),
  };
}
