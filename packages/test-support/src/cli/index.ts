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
import { sealedVaultFiles } from 'electron-oidc/vault';
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
  /**
   * The next URL the CLI opens; rejects after `timeoutMs` (default 30 s) when
   * none came, and then stops waiting, so the URL of a later command is not
   * taken by a test that already failed.
   */
  next(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/** How long {@link UrlSink.next} waits by default: a sign-in URL takes a discovery and a PAR request. */
const SINK_WAIT_MS = 30_000;

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
    next: (timeoutMs = SINK_WAIT_MS) => {
      const url = received.shift();
      if (url !== undefined) return Promise.resolve(url);
      return new Promise((resolve, reject) => {
        const waiter = (u: string): void => {
          clearTimeout(timer);
          resolve(u);
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(new Error(`The CLI opened no URL in the browser within ${timeoutMs} ms.`));
        }, timeoutMs);
        waiting.push(waiter);
      });
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

/** One account of the index the CLI keeps (never a token). */
export interface StoredAccount {
  id: string;
  sub: string;
  name?: string;
  email?: string;
  picture?: string;
}

/** The accounts the CLI stored for a keychain slot, and the active one's id. */
export interface StoredAccounts {
  active: string | undefined;
  accounts: StoredAccount[];
}

/** What a stored session holds that the tests look at (the entry has more: DPoP key, binding). */
export interface StoredSession {
  sub: string;
  refresh_token: string;
}

const INDEX_TYPE = 'electron-oidc/accounts';

/** The CLI's vault for `slot`, opened as the CLI opens it (the keychain, the sealed files in `directory`). */
function openCliVault(slot: KeychainSlot, directory: string) {
  return openVault({ ...slot, directory, fallbackToMemory: false, logger: { warn: () => {} } });
}

/**
 * The index of accounts in the vault's own entry (`<issuer> <clientId>` or
 * the slot's account): `undefined` when the entry is empty, `'session'` when
 * it still holds one session as stored before there were several accounts.
 */
function parseIndex(raw: string | undefined): StoredAccounts | 'session' | undefined {
  if (raw === undefined) return undefined;
  const value = JSON.parse(raw) as { type?: string; active?: string; accounts?: StoredAccount[] };
  if (value.type !== INDEX_TYPE) return 'session';
  return { active: value.active ?? undefined, accounts: value.accounts ?? [] };
}

/** The accounts the CLI stored for `slot` in `directory`, read through the library's own vault. */
export async function storedAccounts(slot: KeychainSlot, directory: string): Promise<StoredAccounts> {
  const index = parseIndex(await (await openCliVault(slot, directory)).read());
  if (index === 'session') throw new Error('The vault holds a single session, not yet an index of accounts.');
  return index ?? { active: undefined, accounts: [] };
}

/** The account `query` names as the library finds it: its id, its subject, or its email in any case. */
function findAccount(index: StoredAccounts, query: string): StoredAccount | undefined {
  const lower = query.toLowerCase();
  return index.accounts.find((a) => a.id === query || a.sub === query || a.email?.toLowerCase() === lower);
}

/**
 * The session the CLI stored for `slot` in `directory`, read through the
 * library's own vault: the active account's, or `account`'s (an id, subject
 * or email). Each account's session rests in its own entry of the vault
 * (`vault.entry(<account id>)`); the vault's own entry holds the index.
 */
export async function storedSession(
  slot: KeychainSlot,
  directory: string,
  account?: string,
): Promise<StoredSession | undefined> {
  const vault = await openCliVault(slot, directory);
  const raw = await vault.read();
  const index = parseIndex(raw);
  if (index === undefined) return undefined;
  if (index === 'session') {
    // Taken over into the accounts layout by the CLI's next command.
    const session = JSON.parse(raw!) as StoredSession;
    return account === undefined || account === session.sub ? session : undefined;
  }
  const id = account === undefined ? index.active : findAccount(index, account)?.id;
  if (id === undefined || vault.entry === undefined) return undefined;
  const stored = await vault.entry(id).read();
  return stored === undefined ? undefined : (JSON.parse(stored) as StoredSession);
}

/**
 * The keychain entry the CLI writes for `slot`, for the test to read and
 * clean up: the vault's own (the index's key), or with `accountId` that
 * account's (`<account> #<id>`, its session's key).
 */
export function keychainEntry(slot: KeychainSlot, accountId?: string): AsyncEntry {
  const account = accountId === undefined ? slot.account : `${slot.account} #${accountId}`;
  return new AsyncEntry(slot.service, account, { linux: { store: 'secret-service' } });
}

/** The sealed file an account's session rests in (the CLI's vault directory, `<account> #<id>`). */
export function sessionFile(slot: KeychainSlot, directory: string, accountId: string): string {
  return sealedVaultFiles(directory, `${slot.account} #${accountId}`).session;
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
  /** The CLI's vault folder (`$OIDC_VAULT_DIR`): the sealed index and sessions. */
  vaultDirectory: string;
  /**
   * The session the CLI stored, read through the library's vault: the active
   * account's, or `account`'s (id, subject or email); `undefined` when none.
   */
  storedSession(account?: string): Promise<StoredSession | undefined>;
  /** The accounts the CLI stored and the active one (the index; never a token). */
  storedAccounts(): Promise<StoredAccounts>;
  /** Runs the CLI as a process with `args`. */
  run(...args: string[]): CliProcess;
  /** Deletes the keychain entries, stops the sink, removes the working folder (and the session files in it). */
  close(): Promise<void>;
}

/** Sets up a CLI user against the provider and API `providerEnv` names (`OIDC_*`), with the keychain entry `slot`. */
export async function startCliUser(
  providerEnv: Record<string, string>,
  slot: KeychainSlot,
): Promise<CliUser> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'electron-oidc-cli-cwd-'));
  const sink = await startUrlSink();
  // The session files go to the working folder, removed with it.
  const vaultDirectory = path.join(cwd, 'vault');
  const env = cliEnv(providerEnv, slot, sink, vaultDirectory);
  return {
    sink,
    cwd,
    env,
    vaultDirectory,
    storedSession: (account) => storedSession(slot, vaultDirectory, account),
    storedAccounts: () => storedAccounts(slot, vaultDirectory),
    run: (...args) => spawnCli(args, env, cwd),
    async close() {
      const { accounts } = await storedAccounts(slot, vaultDirectory).catch(() => ({ accounts: [] }));
      for (const entry of [keychainEntry(slot), ...accounts.map((a) => keychainEntry(slot, a.id))]) {
        await entry.deleteCredential().catch(() => {});
      }
      await sink.close();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
