/**
 * The lock file that makes refreshes of one vault entry exclusive across
 * processes (DESIGN "Vault"): one holder at a time, a killed holder's lock
 * broken at once, a silent one's after `staleMs`, a live one never.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withLockFile } from '../../../src/core/vault/lock-file.ts';
import type { LockFileOptions } from '../../../src/core/vault/lock-file.ts';
import { temporaryFolders } from './doubles.ts';

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));
const newFolder = temporaryFolders();

async function lockIn(): Promise<{ lockFile: string; journal: string }> {
  const folder = await newFolder();
  return { lockFile: path.join(folder, 'x.session.lock'), journal: path.join(folder, 'journal') };
}

/** Runs the fixture as its own process; resolves with its pid once it has exited. */
function holder(options: { lockFile: string; journal: string; holdMs: number; lock?: LockFileOptions }) {
  const child = spawn(process.execPath, [HOLDER, JSON.stringify(options)], { stdio: 'inherit' });
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(child.pid!) : reject(new Error(`holder exited ${code}`)),
    );
  });
}

/** A lock file as another holder would leave it. */
async function planted(lockFile: string, owner: { pid: number; host: string }, idleMs = 0): Promise<string> {
  const text = JSON.stringify({
    ...owner,
    acquired: Date.now() - idleMs,
    nonce: randomBytes(16).toString('hex'),
  });
  await writeFile(lockFile, text, { mode: 0o600 });
  const touched = new Date(Date.now() - idleMs);
  await utimes(lockFile, touched, touched);
  return text;
}

/** A pid no process has any more (one that ran and exited). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}

describe('withLockFile: one holder at a time across processes', () => {
  it('8 processes take the lock one after another: no two inside at once, no increment lost', async () => {
    const { lockFile, journal } = await lockIn();
    await Promise.all(Array.from({ length: 8 }, () => holder({ lockFile, journal, holdMs: 20 })));
    expect(await readFile(`${journal}.count`, 'utf8')).toBe('8');
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]).toMatch(/^enter /);
      expect(lines[i + 1]).toBe(lines[i]!.replace('enter', 'leave'));
    }
  });

  it('the lock file names its holder (pid, host, when), is owner-only, and is gone once released', async () => {
    const { lockFile } = await lockIn();
    await withLockFile(lockFile, async () => {
      const owner = JSON.parse(await readFile(lockFile, 'utf8'));
      expect(owner).toMatchObject({ pid: process.pid, host: hostname(), acquired: expect.any(Number) });
      if (process.platform !== 'win32') expect((await stat(lockFile)).mode & 0o777).toBe(0o600);
    });
    await expect(stat(lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('callers in one process share the hold: one inside may call in again without waiting for itself', async () => {
    const { lockFile } = await lockIn();
    const inner = await withLockFile(lockFile, () => withLockFile(lockFile, async () => 'inner ran'));
    expect(inner).toBe('inner ran');
  });

  it('a holder keeps its lock fresh while it works: a hold longer than staleMs is not broken', async () => {
    const { lockFile, journal } = await lockIn();
    const lock = { staleMs: 300, heartbeatMs: 50 };
    const first = holder({ lockFile, journal, holdMs: 1_500, lock });
    // Once the first process is inside, this one waits for it to leave, however long past staleMs.
    await until(async () => (await readFile(journal, 'utf8').catch(() => '')).startsWith('enter'));
    await withLockFile(
      lockFile,
      async () => {
        expect(await readFile(journal, 'utf8')).toMatch(/^enter (\d+)\nleave \1\n$/);
      },
      lock,
    );
    await first;
  });

  it('release removes only its own lock: a lock another holder took meanwhile stays', async () => {
    const { lockFile } = await lockIn();
    let other = '';
    await withLockFile(lockFile, async () => {
      other = await planted(lockFile, { pid: deadPid(), host: 'another-host' });
    });
    expect(await readFile(lockFile, 'utf8')).toBe(other);
  });
});

describe('withLockFile: stale locks', () => {
  it('a lock whose holder is gone on this host is broken at once (not after staleMs)', async () => {
    const { lockFile } = await lockIn();
    await planted(lockFile, { pid: deadPid(), host: hostname() });
    await expect(
      withLockFile(lockFile, async () => 'taken', { staleMs: 60 * 60_000, waitMs: 60 * 60_000 }),
    ).resolves.toBe('taken');
  });

  it('a lock left untouched for longer than staleMs is broken, whoever holds it (another host, a reused pid)', async () => {
    const { lockFile } = await lockIn();
    await planted(lockFile, { pid: process.pid, host: 'another-host' }, 60_000);
    await expect(withLockFile(lockFile, async () => 'taken', { staleMs: 10_000 })).resolves.toBe('taken');
  });

  it('a live holder is waited for; the wait gives up with ERR_VAULT_UNAVAILABLE naming it', async () => {
    const { lockFile } = await lockIn();
    const text = await planted(lockFile, { pid: 4242, host: 'another-host' });
    const work = { ran: false };
    await expect(
      withLockFile(lockFile, async () => (work.ran = true), { staleMs: 60_000, waitMs: 200 }),
    ).rejects.toMatchObject({
      code: 'ERR_VAULT_UNAVAILABLE',
      message: expect.stringContaining('process 4242 on another-host'),
    });
    expect(work.ran).toBe(false);
    expect(await readFile(lockFile, 'utf8')).toBe(text);
  });

  it('a lock still being written (no owner in it yet) is not broken while fresh', async () => {
    const { lockFile } = await lockIn();
    await writeFile(lockFile, '');
    await expect(
      withLockFile(lockFile, async () => 'taken', { staleMs: 60_000, waitMs: 200 }),
    ).rejects.toMatchObject({
      code: 'ERR_VAULT_UNAVAILABLE',
    });
  });
});

/** Resolves once `check` holds, looking every few milliseconds (no limit but the test's own). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5));
}
