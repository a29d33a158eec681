/**
 * SealedFileVault among several processes: refreshes (`exclusive`), the first
 * key's creation and the migration of a plain entry run under the lock file
 * beside the session, `<file>.lock` (see lock-file.test.ts for the lock itself).
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { keychainAccount } from '../../../src/core/vault/keyring-vault.ts';
import { SealedFileVault, sealedVaultFiles } from '../../../src/core/vault/sealed-file-vault.ts';
import {
  WindowsSizedStore,
  recordingLogger,
  refreshTokenOf,
  sessionWith,
  temporaryFolders,
} from './doubles.ts';

const ACCOUNT = keychainAccount('https://id.example.com/', 'desktop');
const newFolder = temporaryFolders();

async function sealedVault(keyStore = new WindowsSizedStore()) {
  const file = sealedVaultFiles(await newFolder(), ACCOUNT).session;
  const vault = new SealedFileVault({ file, keyStore, account: ACCOUNT, logger: recordingLogger() });
  return { vault, keyStore, file };
}

/** Another process's lock, alive and fresh: whoever needs the lock waits until it is removed. */
async function foreignLock(lockFile: string): Promise<void> {
  const owner = {
    pid: 4242,
    host: 'another-host',
    acquired: Date.now(),
    nonce: randomBytes(16).toString('hex'),
  };
  await writeFile(lockFile, JSON.stringify(owner), { mode: 0o600 });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('SealedFileVault: one process at a time', () => {
  it('exclusive holds <file>.lock while its work runs and removes it afterwards', async () => {
    const { vault, file } = await sealedVault();
    expect(vault.lockFile).toBe(`${file}.lock`);
    const holder = await vault.exclusive(async () => JSON.parse(await readFile(vault.lockFile, 'utf8')));
    expect(holder).toMatchObject({ pid: process.pid });
    await expect(stat(vault.lockFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('work inside exclusive reads, writes (creating the first key, under the same lock) and clears without waiting for itself', async () => {
    const { vault, keyStore } = await sealedVault();
    const session = sessionWith(refreshTokenOf(64));
    await vault.exclusive(async () => {
      await vault.write(session);
      expect(await vault.read()).toBe(session);
      await vault.clear();
    });
    expect(keyStore.value).toBeUndefined();
  });

  it('two vault instances on one file in one process run their exclusive work one at a time', async () => {
    const { vault, keyStore, file } = await sealedVault();
    const other = new SealedFileVault({ file, keyStore, account: ACCOUNT, logger: recordingLogger() });
    const trace: string[] = [];
    const work = (name: string) => async () => {
      trace.push(`${name} in`);
      await settle();
      trace.push(`${name} out`);
    };
    await Promise.all([vault.exclusive(work('a')), other.exclusive(work('b'))]);
    expect(trace).toEqual(['a in', 'a out', 'b in', 'b out']);
  });

  it('exclusive waits while another process holds the lock', async () => {
    const { vault } = await sealedVault();
    await foreignLock(vault.lockFile);
    let ran = false;
    const done = vault.exclusive(async () => (ran = true));
    await settle();
    expect(ran).toBe(false);
    await rm(vault.lockFile);
    await done;
    expect(ran).toBe(true);
  });

  it('the first key is created under the lock: a write waits while another process holds it', async () => {
    const { vault, keyStore } = await sealedVault();
    await foreignLock(vault.lockFile);
    const written = vault.write(sessionWith(refreshTokenOf(64)));
    await settle();
    expect(keyStore.operations).not.toContain('write');
    await rm(vault.lockFile);
    await written;
    expect(keyStore.value).toMatch(/^k1:/);
  });

  it('a plain entry is migrated under the lock: a read waits while another process holds it, then moves it', async () => {
    const keyStore = new WindowsSizedStore();
    const plain = sessionWith('rt.short');
    keyStore.value = plain;
    const { vault } = await sealedVault(keyStore);
    await foreignLock(vault.lockFile);
    const read = vault.read();
    await settle();
    expect(keyStore.operations).not.toContain('write');
    await rm(vault.lockFile);
    expect(await read).toBe(plain);
    expect(keyStore.value).toMatch(/^k1:/);
  });

  it('a write with the key already there needs no lock', async () => {
    const { vault } = await sealedVault();
    await vault.write(sessionWith('rt.first'));
    await foreignLock(vault.lockFile);
    const second = sessionWith('rt.second');
    await vault.write(second);
    expect(await vault.read()).toBe(second);
  });
});
