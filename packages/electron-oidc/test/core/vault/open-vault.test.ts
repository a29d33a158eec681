import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyringVault } from '../../../src/core/vault/keyring-vault.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import { openVault } from '../../../src/core/vault/open-vault.ts';
import { recordingLogger, temporaryFolders } from './doubles.ts';
import { keychainSkipReason, testService } from './keychain-session.ts';

describe('openVault options', () => {
  it('rejects a relative directory with ERR_CONFIG naming it, before touching the keychain', async () => {
    const opening = openVault({ service: testService(), account: 'user', directory: 'relative/dir' });
    await expect(opening).rejects.toMatchObject({ code: 'ERR_CONFIG', option: 'directory' });
    await expect(opening).rejects.toThrow('`directory`');
  });
});

describe.skipIf(keychainSkipReason)('openVault with an OS keychain', () => {
  const services: string[] = [];
  afterEach(async () => {
    await Promise.all(
      services.splice(0).map((service) => new KeyringVault({ service, account: 'user' }).clear()),
    );
  });

  it('returns the keychain vault and warns nothing', async () => {
    const service = testService();
    services.push(service);
    const logger = recordingLogger();
    const vault = await openVault({ service, account: 'user', logger });
    expect(vault).toBeInstanceOf(KeyringVault);
    expect(vault.persistent).toBe(true);
    expect(logger.warnings).toEqual([]);
  });

  it('probes without touching the stored sign-in, and leaves no probe entry behind', async () => {
    const service = testService();
    services.push(service);
    await new KeyringVault({ service, account: 'user' }).write('stored refresh token');
    const vault = await openVault({ service, account: 'user', logger: recordingLogger() });
    await expect(vault.read()).resolves.toBe('stored refresh token');
    await expect(new KeyringVault({ service, account: 'user (probe)' }).read()).resolves.toBeUndefined();
  });

  const newFolder = temporaryFolders();

  it('with a directory that cannot be created, keeps the session in memory with one warning', async () => {
    const service = testService();
    services.push(service);
    const blocker = path.join(await newFolder(), 'a-file');
    await writeFile(blocker, '');
    const logger = recordingLogger();
    const vault = await openVault({ service, account: 'user', directory: path.join(blocker, 'sub'), logger });
    expect(vault).toBeInstanceOf(MemoryVault);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/^No folder for the saved sign-in: you will need to sign in again/);
  });
});

describe.skipIf(process.platform !== 'linux')(
  'openVault where no keychain answers (D-Bus session bus missing)',
  () => {
    // A child process, because @napi-rs/keyring reads DBUS_SESSION_BUS_ADDRESS
    // from the real process environment, shared by every test in this one.
    async function runWithoutKeychain(): Promise<{
      fallback: { kind: string; persistent: boolean; value: string };
      sealedFallback: { kind: string; persistent: boolean; files: string[] };
      warnings: string[];
      refusal: { code: string; message: string } | undefined;
      operations: unknown[];
      elapsedMs: number;
    }> {
      const script = fileURLToPath(new URL('fixtures/no-keychain.ts', import.meta.url));
      const { stdout } = await promisify(execFile)(process.execPath, [script], {
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' },
        timeout: 20_000,
      });
      return JSON.parse(stdout);
    }
    const result = runWithoutKeychain();
    // Keep an early rejection from being reported as unhandled before a test awaits it.
    result.catch(() => undefined);

    it('falls back to a memory vault that works for this run', async () => {
      const { fallback } = await result;
      expect(fallback).toEqual({ kind: 'memory', persistent: false, value: 'in memory' });
    });

    it('with a directory too: memory, never a session file whose key has nowhere to go', async () => {
      const { sealedFallback } = await result;
      expect(sealedFallback).toEqual({ kind: 'memory', persistent: false, files: [] });
    });

    it('warns exactly once, saying the user must sign in again after a restart', async () => {
      const { warnings } = await result;
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^No OS keychain available: you will need to sign in again after every restart\./,
      );
      expect(warnings[0]).toContain('gnome-keyring or KWallet');
    });

    it('with fallbackToMemory: false, rejects with ERR_VAULT_UNAVAILABLE instead', async () => {
      const { refusal } = await result;
      expect(refusal?.code).toBe('ERR_VAULT_UNAVAILABLE');
    });

    it('KeyringVault read, write and clear reject with ERR_VAULT_UNAVAILABLE and a cause', async () => {
      const { operations } = await result;
      expect(operations).toEqual(Array(3).fill({ code: 'ERR_VAULT_UNAVAILABLE', hasCause: true }));
    });

    it('fails fast: no keychain call waits for a timeout', async () => {
      const { elapsedMs } = await result;
      expect(elapsedMs).toBeLessThan(2_000);
    });
  },
);
