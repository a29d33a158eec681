import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError } from '../errors.ts';
import { OWNER_ONLY_FILE_MODE, OWNER_ONLY_FOLDER_MODE } from './atomic-file.ts';

/** How a {@link withLockFile} lock is judged and waited for. */
export interface LockFileOptions {
  /**
   * A lock whose file has not been touched for this long is stale, whoever
   * holds it: a holder on another host, a pid reused since its holder died, a
   * holder frozen for that long. Default 10 s.
   */
  staleMs?: number;
  /** How often a holder touches its lock file to show it is alive. Default: a fifth of `staleMs`. */
  heartbeatMs?: number;
  /** How long to wait for a live holder before giving up with `ERR_VAULT_UNAVAILABLE`. Default 2 min. */
  waitMs?: number;
}

/** 10 s: several heartbeats, and far longer than the event loop of a healthy holder stalls. */
export const DEFAULT_LOCK_STALE_MS = 10_000;
/** 2 min: above a refresh whose discovery and token requests each run into openid-client's 30 s timeout. */
export const DEFAULT_LOCK_WAIT_MS = 120_000;

/** What a lock file holds: who took it, and a random value that tells this take from any other. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** Milliseconds since the epoch. */
  readonly acquired: number;
  readonly nonce: string;
}

/** A lock file as a waiter found it. */
interface Found {
  /** The text read, compared again before the lock is broken. */
  readonly text: string;
  /** `undefined` while its holder is still writing it, or if it is not ours to read. */
  readonly owner: LockOwner | undefined;
  /** Since the holder last touched it. */
  readonly idleMs: number;
}

interface Held {
  release(): Promise<void>;
}

/** Per lock file: the hold this process shares among its callers, and the release under way. */
const holds = new Map<string, { users: number; held: Promise<Held> }>();
const releases = new Map<string, Promise<void>>();

/**
 * Runs `work` while this process holds `lockFile`, a lock across processes
 * (and hosts sharing the folder). Callers in one process share one hold:
 * keeping them apart is for the caller (e.g. a `SerialQueue`), so a caller
 * already holding the lock may call in again without waiting for itself.
 *
 * The lock is the file, created exclusively (`O_EXCL`), owner-only, holding
 * `{ pid, host, acquired, nonce }`; its holder touches it every `heartbeatMs`.
 * A waiter breaks it when the holder's pid is gone on this host (a killed
 * process blocks the next one only until its next look), or when it has not
 * been touched for `staleMs`.
 */
export async function withLockFile<T>(
  lockFile: string,
  work: () => Promise<T>,
  options: LockFileOptions = {},
): Promise<T> {
  let hold = holds.get(lockFile);
  if (hold === undefined) {
    const created = {
      users: 0,
      held: (async () => {
        await releases.get(lockFile);
        return acquire(lockFile, options);
      })(),
    };
    // A failed take is not joined by later callers: they try afresh.
    created.held.catch(() => {
      if (holds.get(lockFile) === created) holds.delete(lockFile);
    });
    holds.set(lockFile, created);
    hold = created;
  }
  hold.users++;
  try {
    await hold.held;
    return await work();
  } finally {
    if (--hold.users === 0 && holds.get(lockFile) === hold) {
      holds.delete(lockFile);
      const release = hold.held.then((held) => held.release());
      releases.set(lockFile, release);
      await release;
      if (releases.get(lockFile) === release) releases.delete(lockFile);
    }
  }
}

async function acquire(lockFile: string, options: LockFileOptions): Promise<Held> {
  const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    acquired: Date.now(),
    nonce: randomBytes(16).toString('hex'),
  };
  const text = JSON.stringify(owner);
  // As for the session file: a missing folder is created owner-only.
  await mkdir(path.dirname(lockFile), { recursive: true, mode: OWNER_ONLY_FOLDER_MODE }).catch(
    (error: unknown) => {
      throw lockFailed(lockFile, error);
    },
  );
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(lockFile, text)) {
      return startHeartbeat(lockFile, text, options.heartbeatMs ?? staleMs / 5);
    }
    const found = await look(lockFile);
    if (found !== undefined && isStale(found, staleMs)) {
      await breakStale(lockFile, found);
      continue;
    }
    if (Date.now() >= deadline) throw busy(lockFile, found);
    // Backoff with jitter, so that twenty waiters do not look at the same moment.
    await sleep(Math.min(250, 10 * 1.5 ** attempt) * (0.5 + Math.random()));
  }
}

/** Creates the lock file if none exists; `false` when another holds it. */
async function tryCreate(lockFile: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockFile, 'wx', OWNER_ONLY_FILE_MODE);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw lockFailed(lockFile, error);
  }
  try {
    await handle.writeFile(text);
  } catch (error) {
    // An empty lock would stand until it goes stale.
    await handle.close();
    await rm(lockFile, { force: true });
    throw lockFailed(lockFile, error);
  }
  await handle.close();
  return true;
}

/** The lock file as it is now, or `undefined` when it is gone (taken and released since). */
async function look(lockFile: string): Promise<Found | undefined> {
  try {
    const [stats, text] = await Promise.all([stat(lockFile), readFile(lockFile, 'utf8')]);
    return { text, owner: parseOwner(text), idleMs: Date.now() - stats.mtimeMs };
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw lockFailed(lockFile, error);
  }
}

function isStale(found: Found, staleMs: number): boolean {
  if (found.idleMs > staleMs) return true;
  const { owner } = found;
  return owner !== undefined && owner.host === hostname() && !isRunning(owner.pid);
}

function isRunning(pid: number): boolean {
  try {
    // Signal 0 only asks whether the process exists.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's.
    return codeOf(error) === 'EPERM';
  }
}

/**
 * Removes a stale lock without removing a live one: the file is renamed
 * aside (atomic, so of two waiters breaking it, one gets it), and if what was
 * moved is not what was judged stale (a waiter took the lock in between), it
 * is linked back unless yet another has taken the lock since.
 */
async function breakStale(lockFile: string, found: Found): Promise<void> {
  const aside = `${lockFile}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockFile, aside);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return;
    throw lockFailed(lockFile, error);
  }
  try {
    const moved = await readFile(aside, 'utf8').catch(() => found.text);
    if (moved !== found.text) await link(aside, lockFile).catch(() => undefined);
  } finally {
    await rm(aside, { force: true });
  }
}

function startHeartbeat(lockFile: string, text: string, heartbeatMs: number): Held {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(lockFile, now, now).catch(() => undefined);
  }, heartbeatMs);
  // A held lock must not keep a CLI process alive on its own.
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      // Only our own: had we been judged stale, the file may be another holder's by now.
      // A lock that cannot be removed goes stale once this process ends.
      const current = await readFile(lockFile, 'utf8').catch(() => undefined);
      if (current === text) await rm(lockFile, { force: true }).catch(() => undefined);
    },
  };
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner> | null;
    if (typeof value?.pid !== 'number' || typeof value.host !== 'string') return undefined;
    return value as LockOwner;
  } catch {
    return undefined;
  }
}

function busy(lockFile: string, found: Found | undefined): AuthError {
  const who = found?.owner === undefined ? '' : ` (process ${found.owner.pid} on ${found.owner.host})`;
  return new AuthError(
    'ERR_VAULT_UNAVAILABLE',
    `Another process${who} has been renewing the saved sign-in for too long; its lock is ${lockFile}. Try again, or remove the lock if no such process runs.`,
  );
}

function lockFailed(lockFile: string, cause: unknown): AuthError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AuthError('ERR_VAULT_UNAVAILABLE', `Could not lock ${lockFile}: ${detail}.`, { cause });
}

function codeOf(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}
