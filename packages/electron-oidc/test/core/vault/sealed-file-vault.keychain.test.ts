import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyringVault, keychainAccount } from '../../../src/core/vault/keyring-vault.ts';
import { SealedFileVault } from '../../../src/core/vault/sealed-file-vault.ts';
import { openVault } from '../../../src/core/vault/open-vault.ts';
import { sealedVaultFiles } from '../../../src/core/vault/sealed-file-vault.ts';
import { recordingLogger, refreshTokenOf, sessionWith, temporaryFolders } from './doubles.ts';
import { keychainSkipReason, testService } from './keychain-session.ts';

const ACCOUNT = keychainAccount('https://id.example.com/', 'desktop');

describe.skipIf(keychainSkipReason)('SealedFileVault with its key in the real OS keychain', () => {
  const newFolder = temporaryFolders();
  const services: string[] = [];
  afterEach(async () => {
    await Promise.all(
      services.splice(0).map((service) => new KeyringVault({ service, account: ACCOUNT }).clear()),
    );
  });

  async function open() {
    const service = testService();
    services.push(service);
    const directory = await newFolder();
    const logger = recordingLogger();
    const vault = await openVault({ service, account: ACCOUNT, directory, logger, fallbackToMemory: false });
    const keychain = new KeyringVault({ service, account: ACCOUNT });
    return {
      vault,
      keychain,
      logger,
      service,
      directory,
      file: sealedVaultFiles(directory, ACCOUNT).session,
    };
  }

  it('openVault({ directory }) gives a sealed vault over the keychain', async () => {
    const { vault, logger } = await open();
    expect(vault).toBeInstanceOf(SealedFileVault);
    expect(vault.kind).toBe('keychain+file');
    expect(vault.persistent).toBe(true);
    expect(logger.warnings).toEqual([]);
  });

  it.each([
    ['4 KB', 4 * 1024],
    ['16 KB', 16 * 1024],
  ])('keeps a session with a %s refresh token, the keychain holding only the key', async (_, size) => {
    const { vault, keychain, service, directory } = await open();
    const session = sessionWith(refreshTokenOf(size));
    await vault.write(session);
    expect(await keychain.read()).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
    // As after a restart: new instances read what the first wrote.
    const reopened = await openVault({ service, account: ACCOUNT, directory, fallbackToMemory: false });
    await expect(reopened.read()).resolves.toBe(session);
    await reopened.clear();
    await expect(keychain.read()).resolves.toBeUndefined();
    await expect(vault.read()).resolves.toBeUndefined();
  });

  it('migrates a session stored whole in the keychain by an earlier version', async () => {
    const service = testService();
    services.push(service);
    const keychain = new KeyringVault({ service, account: ACCOUNT });
    const legacy = sessionWith(refreshTokenOf(1_000));
    await keychain.write(legacy);
    const directory = await newFolder();
    const vault = await openVault({ service, account: ACCOUNT, directory, logger: recordingLogger() });
    await expect(vault.read()).resolves.toBe(legacy);
    expect(await keychain.read()).toMatch(/^k1:/);
    const sealed = await readFile(sealedVaultFiles(directory, ACCOUNT).session);
    expect(sealed.includes('rt.')).toBe(false);
    await expect(vault.read()).resolves.toBe(legacy);
  });

  it('without a directory, openVault keeps the whole session in the keychain entry, as before', async () => {
    const service = testService();
    services.push(service);
    const vault = await openVault({ service, account: ACCOUNT, logger: recordingLogger() });
    expect(vault).toBeInstanceOf(KeyringVault);
    await vault.write('whole');
    await expect(new KeyringVault({ service, account: ACCOUNT }).read()).resolves.toBe('whole');
  });

  it('entry(name) keeps its key in the keychain item `<account> #<name>` and its session beside the first', async () => {
    const { vault, keychain, service, directory } = await open();
    const a = vault.entry!('a');
    const childKeychain = new KeyringVault({ service, account: `${ACCOUNT} #a` });
    try {
      await vault.write('index');
      await a.write(sessionWith(refreshTokenOf(4 * 1024)));
      expect(await childKeychain.read()).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
      expect(await keychain.read()).not.toBe(await childKeychain.read());
      expect((a as SealedFileVault).file).toBe(sealedVaultFiles(directory, `${ACCOUNT} #a`).session);
      await vault.clear();
      await expect(a.read()).resolves.toMatch(/^\{/);
      await a.clear();
      await expect(childKeychain.read()).resolves.toBeUndefined();
    } finally {
      await childKeychain.clear();
    }
  });
});
