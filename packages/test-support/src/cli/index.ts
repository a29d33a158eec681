import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { AsyncEntry } from '@napi-rs/keyring';
import { openVault } from 'electron-oidc';
import { closeServer, listenOnLoopback } from '../loopback.ts';

/** Where the CLI writes (`process.stdout` fits). */
export interface Writer {
  write(text: string): unknown;
}

/** The CLI's entry point, run as a user would run it. */
export const CLI_MAIN = createRequire(import.meta.url).resolve('electron-oidc/cli/main');
const BROWSER_SCRIPT = fileURLToPath(new URL('./browser-to-sink.ts', import.meta.url));

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
  const { origin } = await listenOnLoopback(server);
  return {
    // $BROWSER entries split on whitespace; these paths have none.
    browserCommand: `${process.execPath} ${BROWSER_SCRIPT}`,
    url: `${origin}/`,
    next: () => {
      const url = received.shift();
      return url === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(url);
    },
    close: () => closeServer(server),
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

/**
 * The OS keychain is gnome-keyring on the session bus started by
 * `dbus-run-session -- scripts/with-keyring.sh`; without a bus there is nothing
 * to test against. Empty when there is a bus, else the note a skipped suite's name carries.
 */
export const NO_BUS_NOTE =
  process.env.DBUS_SESSION_BUS_ADDRESS === undefined && process.platform === 'linux'
    ? ' [SKIPPED: no D-Bus session; run inside "dbus-run-session -- scripts/with-keyring.sh"]'
    : '';

/** Where the CLI keeps the session: a keychain entry of a test's own (the session file goes to a folder of the test's own). */
export interface KeychainSlot {
  service: string;
  account: string;
}

/** The session the CLI stored for `slot` in `directory`, read through the library's own vault. */
export async function storedSession(
  slot: KeychainSlot,
  directory: string,
): Promise<{ refresh_token: string } | undefined> {
  const vault = await openVault({ ...slot, directory, fallbackToMemory: false, logger: { warn: () => {} } });
  const raw = await vault.read();
  return raw === undefined ? undefined : (JSON.parse(raw) as { refresh_token: string });
}

/** The keychain entry the CLI writes for `slot`, for the test to read and clean up. */
export function keychainEntry(slot: KeychainSlot): AsyncEntry {
  return new AsyncEntry(slot.service, slot.account, { linux: { store: 'secret-service' } });
}

/**
 * The CLI's environment: the provider's and API's `OIDC_*` variables, the
 * keychain entry `slot`, and `$BROWSER` sending every URL the CLI opens to `sink`.
 */
export function cliEnv(
  providerEnv: Record<string, string>,
  slot: KeychainSlot,
  sink: UrlSink,
  vaultDirectory: string,
): Record<string, string> {
  return {
    ...providerEnv,
    OIDC_VAULT_SERVICE: slot.service,
    OIDC_VAULT_ACCOUNT: slot.account,
    OIDC_VAULT_DIR: vaultDirectory,
    BROWSER: sink.browserCommand,
    CLI_TEST_URL_SINK: sink.url,
  };
}

/** A user at a terminal: a working folder, a keychain entry, and a browser the CLI's URLs go to. */
export interface CliUser {
  /** Receives every URL the CLI opens; the test loads them in Chromium. */
  sink: UrlSink;
  cwd: string;
  env: Record<string, string>;
  /** The session the CLI stored, read through the library's vault; `undefined` when none. */
  storedSession(): Promise<{ refresh_token: string } | undefined>;
  /** Runs the CLI as a process with `args`. */
  run(...args: string[]): CliProcess;
  /** Deletes the keychain entry, stops the sink, removes the working folder (and the session file in it). */
  close(): Promise<void>;
}

/** Sets up a CLI user against the provider and API `providerEnv` names (`OIDC_*`), with the keychain entry `slot`. */
export async function startCliUser(
  providerEnv: Record<string, string>,
  slot: KeychainSlot,
): Promise<CliUser> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'electron-oidc-cli-cwd-'));
  const sink = await startUrlSink();
  // The session file goes to the working folder, removed with it.
  const env = cliEnv(providerEnv, slot, sink, path.join(cwd, 'vault'));
  return {
    sink,
    cwd,
    env,
    storedSession: () => storedSession(slot, path.join(cwd, 'vault')),
    run: (...args) => spawnCli(args, env, cwd),
    async close() {
      await keychainEntry(slot)
        .deleteCredential()
        .catch(() => {});
      await sink.close();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
