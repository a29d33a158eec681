import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keychainAccount } from '../../src/core/vault/keyring-vault.ts';
import { MemoryVault } from '../../src/core/vault/memory-vault.ts';
import { SealedFileVault, sealedVaultFiles } from '../../src/core/vault/sealed-file-vault.ts';
import {
  SafeStorageKeyStore,
  assertSafeStorageProtects,
  openSafeStorageVault,
} from '../../src/electron/safe-storage-key.ts';
import type { SafeStorageApi } from '../../src/electron/safe-storage-key.ts';
import { recordingLogger, refreshTokenOf, sessionWith, temporaryFolders } from '../core/vault/doubles.ts';

type Backend = ReturnType<SafeStorageApi['getSelectedStorageBackend']>;

/**
 * Electron's asynchronous safeStorage as its typings describe it, with a
 * stand-in cipher (a "v11" prefix and a byte-wise XOR: enough to tell that the
 * file holds what encryptStringAsync returned, not the key itself).
 */
function fakeSafeStorage(options: { available?: boolean; backend?: Backend; reEncrypt?: boolean } = {}) {
  const calls = { encrypt: 0, decrypt: 0 };
  const safeStorage: SafeStorageApi = {
    isAsyncEncryptionAvailable: async () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptStringAsync: async (plainText) => {
      calls.encrypt++;
      return Buffer.concat([Buffer.from('v11'), Buffer.from(plainText).map((b) => b ^ 0x5a)]);
    },
    decryptStringAsync: async (encrypted) => {
      calls.decrypt++;
      if (!encrypted.subarray(0, 3).equals(Buffer.from('v11')))
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      const result = Buffer.from(encrypted.subarray(3).map((b) => b ^ 0x5a)).toString();
      return { result, shouldReEncrypt: options.reEncrypt ?? false };
    },
  };
  return { safeStorage, calls };
}

const ACCOUNT = keychainAccount('https://id.example.com/', 'desktop');
const newFolder = temporaryFolders();

async function keyStoreIn(fake = fakeSafeStorage(), platform: NodeJS.Platform = 'linux') {
  const folder = await newFolder();
  const logger = recordingLogger();
  const file = sealedVaultFiles(folder, ACCOUNT).key;
  return {
    store: new SafeStorageKeyStore({ safeStorage: fake.safeStorage, file, logger, platform }),
    file,
    logger,
    folder,
    ...fake,
  };
}

describe('assertSafeStorageProtects', () => {
  it.each(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6'] as const)(
    'accepts the %s backend on Linux',
    async (backend) => {
      await expect(
        assertSafeStorageProtects(fakeSafeStorage({ backend }).safeStorage, 'linux'),
      ).resolves.toBeUndefined();
    },
  );

  it('refuses the basic_text backend on Linux (a key hard-coded in Chromium), naming it', async () => {
    const refusal = assertSafeStorageProtects(
      fakeSafeStorage({ backend: 'basic_text' }).safeStorage,
      'linux',
    );
    await expect(refusal).rejects.toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE' });
    await expect(refusal).rejects.toThrow('`basic_text`');
  });

  it('refuses an undetermined (unknown) backend on Linux', async () => {
    await expect(
      assertSafeStorageProtects(fakeSafeStorage({ backend: 'unknown' }).safeStorage, 'linux'),
    ).rejects.toThrow('`unknown`');
  });

  it.each(['darwin', 'win32'] as const)('does not ask for a Linux backend on %s', async (platform) => {
    await expect(
      assertSafeStorageProtects(fakeSafeStorage({ backend: 'basic_text' }).safeStorage, platform),
    ).resolves.toBeUndefined();
  });

  it('refuses when asynchronous encryption is not available', async () => {
    await expect(
      assertSafeStorageProtects(fakeSafeStorage({ available: false }).safeStorage, 'darwin'),
    ).rejects.toMatchObject({
      code: 'ERR_VAULT_UNAVAILABLE',
    });
  });
});

describe('SafeStorageKeyStore', () => {
  it('keeps the key encrypted by safeStorage in an owner-only file, and reads it back', async () => {
    const { store, file, calls } = await keyStoreIn();
    await expect(store.read()).resolves.toBeUndefined();
    await store.write('k1:the-key');
    const onDisk = await readFile(file);
    expect(onDisk.includes('k1:the-key')).toBe(false);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(store.read()).resolves.toBe('k1:the-key');
    expect(calls).toEqual({ encrypt: 1, decrypt: 1 });
    expect(store.kind).toBe('safeStorage');
    expect(store.persistent).toBe(true);
  });

  it('refuses to read or write with the basic_text backend, and writes nothing', async () => {
    const { store, file } = await keyStoreIn(fakeSafeStorage({ backend: 'basic_text' }));
    await expect(store.write('k1:x')).rejects.toThrow('`basic_text`');
    await expect(store.read()).rejects.toThrow('`basic_text`');
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a key file safeStorage cannot decrypt reads as no key, with a warning', async () => {
    const { store, file, logger } = await keyStoreIn();
    await writeFile(file, 'garbage');
    await expect(store.read()).resolves.toBeUndefined();
    expect(logger.warnings[0]).toMatch(/safeStorage could not decrypt it/);
  });

  it('re-encrypts the key when safeStorage asks for it (its own key rotated)', async () => {
    const { store, calls } = await keyStoreIn(fakeSafeStorage({ reEncrypt: true }));
    await store.write('k1:x');
    await expect(store.read()).resolves.toBe('k1:x');
    expect(calls.encrypt).toBe(2);
  });

  it('clear removes the file and succeeds when there is none', async () => {
    const { store, file } = await keyStoreIn();
    await store.write('k1:x');
    await store.clear();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.clear()).resolves.toBeUndefined();
  });

  it('entry(name) keeps its key at sealedVaultFiles(<folder>, `<account> #<name>`).key, encrypted the same way', async () => {
    const { safeStorage, calls } = fakeSafeStorage();
    const folder = await newFolder();
    const file = sealedVaultFiles(folder, ACCOUNT).key;
    const store = new SafeStorageKeyStore({ safeStorage, file, account: ACCOUNT, platform: 'linux' });
    const a = store.entry('a');
    expect(a.account).toBe(`${ACCOUNT} #a`);
    expect(a.file).toBe(sealedVaultFiles(folder, `${ACCOUNT} #a`).key);
    expect(store.entry('A').file.toLowerCase()).not.toBe(a.file.toLowerCase());
    expect(a.entry('b').file).toBe(sealedVaultFiles(folder, `${ACCOUNT} #a #b`).key);
    await store.write('k1:root');
    await a.write('k1:a');
    await expect(store.entry('a').read()).resolves.toBe('k1:a');
    await a.clear();
    await expect(store.read()).resolves.toBe('k1:root');
    expect(calls.encrypt).toBe(2);
  });

  it('without an account, names entries after its file', async () => {
    const { store, folder } = await keyStoreIn();
    expect(store.entry('a').file).toBe(sealedVaultFiles(folder, `${path.basename(store.file)} #a`).key);
  });

  it.each(['', 'a b', '../up', 'x'.repeat(65)])('entry refuses the name %j with ERR_CONFIG', async (name) => {
    const { store } = await keyStoreIn();
    expect(() => store.entry(name)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('rejects a relative file with ERR_CONFIG', () => {
    expect(
      () => new SafeStorageKeyStore({ safeStorage: fakeSafeStorage().safeStorage, file: 'x.key' }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});

describe('openSafeStorageVault', () => {
  it('gives a sealed vault whose key safeStorage protects, for a 16 KB session', async () => {
    const directory = await newFolder();
    const { safeStorage } = fakeSafeStorage();
    const logger = recordingLogger();
    const vault = await openSafeStorageVault({
      safeStorage,
      directory,
      account: ACCOUNT,
      logger,
      platform: 'linux',
    });
    expect(vault).toBeInstanceOf(SealedFileVault);
    expect(vault.kind).toBe('safeStorage+file');
    const session = sessionWith(refreshTokenOf(16 * 1024));
    await vault.write(session);
    const files = sealedVaultFiles(directory, ACCOUNT);
    expect((await readFile(files.session)).includes('rt.')).toBe(false);
    expect((await stat(files.key)).isFile()).toBe(true);
    const reopened = await openSafeStorageVault({
      safeStorage,
      directory,
      account: ACCOUNT,
      platform: 'linux',
    });
    await expect(reopened.read()).resolves.toBe(session);
    await reopened.clear();
    await expect(stat(files.key)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(logger.warnings).toEqual([]);
    expect(path.dirname(files.key)).toBe(directory);
  });

  it('with the basic_text backend, keeps the session in memory with one warning naming it', async () => {
    const logger = recordingLogger();
    const vault = await openSafeStorageVault({
      safeStorage: fakeSafeStorage({ backend: 'basic_text' }).safeStorage,
      directory: await newFolder(),
      account: ACCOUNT,
      logger,
      platform: 'linux',
    });
    expect(vault).toBeInstanceOf(MemoryVault);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain('`basic_text`');
    expect(logger.warnings[0]).toContain('never written to disk in plaintext');
  });

  it('with fallbackToMemory: false, rejects instead', async () => {
    const opening = openSafeStorageVault({
      safeStorage: fakeSafeStorage({ backend: 'basic_text' }).safeStorage,
      directory: await newFolder(),
      account: ACCOUNT,
      fallbackToMemory: false,
      platform: 'linux',
    });
    await expect(opening).rejects.toMatchObject({ code: 'ERR_VAULT_UNAVAILABLE' });
  });

  it("entry(name) is a sealed vault whose session and key are sealedVaultFiles(directory, '<account> #<name>')", async () => {
    const directory = await newFolder();
    const { safeStorage } = fakeSafeStorage();
    const vault = await openSafeStorageVault({ safeStorage, directory, account: ACCOUNT, platform: 'linux' });
    const [a, b] = [vault.entry!('a'), vault.entry!('b')];
    const files = sealedVaultFiles(directory, `${ACCOUNT} #a`);
    await vault.write('index');
    await a.write(sessionWith('rt.of-a'));
    const sessionB = sessionWith('rt.of-b');
    await b.write(sessionB);
    expect((await stat(files.session)).isFile()).toBe(true);
    expect((await stat(files.key)).isFile()).toBe(true);
    await a.clear();
    const left = sealedVaultFiles(directory, `${ACCOUNT} #b`);
    const root = sealedVaultFiles(directory, ACCOUNT);
    expect((await readdir(directory)).sort()).toEqual(
      [root.key, root.session, left.key, left.session].map((file) => path.basename(file)).sort(),
    );
    await expect(b.read()).resolves.toBe(sessionB);
    await expect(vault.read()).resolves.toBe('index');
  });
});
