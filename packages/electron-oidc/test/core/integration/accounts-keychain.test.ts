/**
 * Issue 14, "entries from today's single-account layout are taken over on
 * first read", with the real OS keychain (run inside `dbus-run-session --
 * scripts/with-keyring.sh`) and the real local provider: the vault's own
 * entry holds a session as the previous release wrote it (version 1 Bearer,
 * or version 2 with its DPoP key; in the keychain itself, or sealed in a file
 * with the key in the keychain), and a library with the default vault
 * restores it, moves it into the account's own entry, and keeps its DPoP key:
 * the provider refreshes the bound token only with the key it was bound to.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, recordingLogger, TestVault } from '@electron-oidc/test-support';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountId, decodeAccountIndex } from '../../../src/core/accounts/account-index.ts';
import type { DPoPMode } from '../../../src/core/config.ts';
import { createDesktopAuth } from '../../../src/core/desktop-auth.ts';
import type { StoredDPoPKey } from '../../../src/core/dpop/key.ts';
import { encodeStoredSession } from '../../../src/core/session/stored-session.ts';
import { KeyringVault, keychainAccount } from '../../../src/core/vault/keyring-vault.ts';
import { openVault } from '../../../src/core/vault/open-vault.ts';
import type { Vault } from '../../../src/core/vault/vault.ts';
import { keychainSkipReason } from '../vault/keychain-session.ts';
import { authFor, browserOpener, countingFetch } from './harness.ts';
import { startLocalStack } from '../../support/local-stack.ts';
import type { LocalStack } from '../../support/local-stack.ts';

interface StoredEntry {
  v: number;
  sub: string;
  refresh_token: string;
  dpop?: StoredDPoPKey;
}

describe.skipIf(keychainSkipReason)('taking over a single-account session in the OS keychain', () => {
  let stack: LocalStack;
  let browser: Browser;
  let context: BrowserContext;
  let directory: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
    context = await browser.newContext();
    directory = await mkdtemp(path.join(tmpdir(), 'accounts-keychain-'));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.close();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  const owner = () => ({ issuer: new URL(stack.idp.issuer).href, clientId: stack.idp.clientId });

  /** A real session of alice's, encoded as the single-account release stored it. */
  async function previousReleaseSession(dpop: DPoPMode): Promise<string> {
    const page = await context.newPage();
    const opener = browserOpener(page);
    // A vault without entries: one account, its session the vault's own value.
    const vault = new TestVault();
    const auth = authFor(stack, { vault, openBrowser: opener.open, config: { dpop } });
    try {
      await auth.signIn();
      await opener.settled();
    } finally {
      auth.close();
      await page.goto('about:blank').catch(() => {});
      await page.close();
    }
    const stored = JSON.parse(vault.value!) as StoredEntry;
    return encodeStoredSession({
      ...owner(),
      sub: stored.sub,
      refreshToken: stored.refresh_token,
      dpop: stored.dpop,
    });
  }

  /** The default vault of the issuer and client: the keychain entry, or with `directory` the sealed file. */
  const defaultVault = (sealed: boolean): Promise<Vault> =>
    openVault({
      account: keychainAccount(owner().issuer, owner().clientId),
      logger: recordingLogger(),
      ...(sealed ? { directory } : {}),
    });

  const cases = [
    { dpop: 'auto', sealed: false, version: 2 },
    { dpop: 'off', sealed: false, version: 1 },
    { dpop: 'auto', sealed: true, version: 2 },
  ] as const;

  for (const { dpop, sealed, version } of cases) {
    it(`a version ${version} session ${sealed ? 'sealed in a file' : 'in the keychain entry'} is taken over on first restore${version === 2 ? ', its DPoP key kept' : ''}`, async () => {
      const legacy = await previousReleaseSession(dpop);
      const before = JSON.parse(legacy) as StoredEntry;
      expect(before.v).toBe(version);
      const root = await defaultVault(sealed);
      expect(root.kind).toBe(sealed ? 'keychain+file' : 'keychain');
      await root.write(legacy);

      const logger = recordingLogger();
      const counter = countingFetch();
      const auth = createDesktopAuth({
        config: { ...stack.config, dpop },
        logger,
        fetch: counter.fetch,
        retrySchedule: [50],
        ...(sealed ? { vaultDirectory: directory } : {}),
      });
      const id = accountId(owner().issuer, before.sub);
      try {
        expect(await auth.restore()).toBe('signed-in');
        expect(counter.grants).toEqual(['refresh_token']);
        expect(auth.listAccounts()).toEqual([
          expect.objectContaining({ id, active: true, state: 'signed-in' }),
        ]);
        expect((await auth.fetchApi('/private')).status).toBe(200);
        expect(logger.lines).toContainEqual(
          expect.stringMatching(/Moved the stored session into the accounts layout/),
        );

        // The root holds the index, never a token; the account's entry the session, rotated.
        const index = (await root.read())!;
        expect(index).not.toContain(before.refresh_token);
        expect(decodeAccountIndex(index, owner())).toMatchObject({
          ok: true,
          index: { accounts: [{ id }], active: id },
        });
        const after = JSON.parse((await root.entry!(id).read())!) as StoredEntry;
        expect(after).toMatchObject({ v: version, sub: before.sub });
        expect(after.refresh_token).not.toBe(before.refresh_token);
        // The same key: the provider refreshed the bound token only with the key it was bound to.
        expect(after.dpop?.jkt).toBe(before.dpop?.jkt);
        if (version === 2) expect(after.dpop?.jkt).toEqual(expect.any(String));

        // Signing out of the last account leaves nothing: its entry and the index are cleared.
        expect((await auth.signOut()).revoked).toBe(true);
        expect(await root.entry!(id).read()).toBeUndefined();
        expect(await root.read()).toBeUndefined();
        // The keychain item itself is gone (for a sealed vault: the key too).
        expect(
          await new KeyringVault({ account: keychainAccount(owner().issuer, owner().clientId) }).read(),
        ).toBeUndefined();
      } finally {
        auth.close();
        await root.clear();
        await root.entry!(id).clear();
      }
    });
  }
});
