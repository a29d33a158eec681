/**
 * `npm start`: the whole system on loopback with zero configuration — the
 * local OpenID Provider, the API and the desktop app, each in its own process
 * so that each reads its own environment and logs under its own name.
 *
 * Ctrl-C (SIGINT) or SIGTERM stops them all. Quitting the app stops the
 * servers too; an app that crashes leaves them running. If a server dies, the rest are stopped and the exit code says
 * so. Where Electron's binary is missing and cannot be fetched, the servers
 * keep running and the message says how to install it.
 *
 * START_DESKTOP=0 starts only the servers.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const desktopDir = path.join(root, 'apps/desktop');

const children = new Map<string, ChildProcess>();
let stopping = false;
let exitCode = 0;

function say(message: string): void {
  console.log(`[start] ${message}`);
}

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  createInterface({ input: stream }).on('line', (line) => out.write(`[${name}] ${line}\n`));
}

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const child of children.values()) child.kill('SIGTERM');
  if (children.size === 0) process.exit(exitCode);
}

/**
 * Runs one part. `essential` parts are the servers: when one stops by itself
 * the whole system is broken, so everything stops with a failure. The app is
 * not: quitting it is the normal way to finish, so everything stops cleanly.
 */
function run(name: string, command: string, args: string[], essential: boolean): void {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.set(name, child);
  prefixLines(name, child.stdout!, process.stdout);
  prefixLines(name, child.stderr!, process.stderr);
  child.on('error', (err) => console.error(`[start] ${name} could not start: ${err.message}`));
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      if (essential) {
        console.error(`[start] ${name} stopped (${signal ?? `exit code ${code}`}); stopping the rest.`);
        stopAll(1);
      } else if (code === 0) {
        say(`${name} quit; stopping the servers.`);
        stopAll(0);
      } else {
        say(
          `${name} stopped (${signal ?? `exit code ${code}`}); the provider and the API keep running (Ctrl-C stops them).`,
        );
      }
    } else if (code !== 0 && code !== null && exitCode === 0) {
      exitCode = code;
    }
    if (stopping && children.size === 0) process.exit(exitCode);
  });
}

/** Polls `url` until it answers, giving up after `timeoutMs` (a server that never comes up has already said why). */
async function waitUntilUp(url: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      await fetch(url);
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return false;
}

/**
 * The Electron executable, downloading it first if this machine has not yet
 * (Electron ≥ 45 fetches its binary on first launch, not at `npm install`).
 * Returns undefined, after saying why and what to do, where it cannot be had.
 */
function electronExecutable(): string | undefined {
  const require = createRequire(path.join(desktopDir, 'package.json'));
  let electronDir: string;
  try {
    electronDir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    say('Electron is not installed: run `npm install`. The provider and the API keep running.');
    return undefined;
  }
  const installed = (): string | undefined => {
    const pathFile = path.join(electronDir, 'path.txt');
    if (!existsSync(pathFile)) return undefined;
    const executable = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8'));
    return existsSync(executable) ? executable : undefined;
  };
  const howTo =
    'Install it on a machine that can reach GitHub with `npx install-electron` (from apps/desktop), or see ' +
    'https://www.electronjs.org/docs/latest/tutorial/installation. The provider and the API keep running; the ' +
    'CLI (`npm run cli -- login`) works without Electron.';
  if (installed()) return installed();
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1') {
    say(`Electron's binary is missing and ELECTRON_SKIP_BINARY_DOWNLOAD=1 forbids fetching it. ${howTo}`);
    return undefined;
  }
  say("Fetching Electron's binary (first launch only)…");
  const fetched = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
  const executable = fetched.status === 0 ? installed() : undefined;
  if (!executable) {
    const reason =
      fetched.error?.message ?? fetched.stderr?.toString().trim().split('\n')[0] ?? 'unknown error';
    say(`Electron's binary is missing and could not be downloaded (${reason}). ${howTo}`);
  }
  return executable;
}

async function startDesktop(): Promise<void> {
  const built = spawnSync(process.execPath, [path.join(desktopDir, 'scripts/build.ts')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (built.status !== 0) {
    say('The desktop app did not build (see above). The provider and the API keep running.');
    return;
  }
  const executable = electronExecutable();
  if (!executable || stopping) return;
  // The app restores the session at launch; starting it once the provider and
  // the API answer saves it a detour through the offline state.
  await waitUntilUp(`http://127.0.0.1:${process.env.IDP_PORT || 4000}/.well-known/openid-configuration`);
  await waitUntilUp(`http://127.0.0.1:${process.env.PORT || 3000}/healthz`);
  if (stopping) return;
  run('app', executable, [desktopDir], false);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => stopAll(0));
}

run('idp', process.execPath, ['apps/dev-idp/src/main.ts'], true);
run('api', process.execPath, ['apps/api/src/main.ts'], true);
if (process.env.START_DESKTOP !== '0') await startDesktop();
