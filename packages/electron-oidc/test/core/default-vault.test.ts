import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { accountId, decodeAccountIndex } from '../../src/core/accounts/account-index.ts';
import { createDesktopAuth } from '../../src/core/desktop-auth.ts';
import { DPoPKey } from '../../src/core/dpop/key.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { encodeStoredSession } from '../../src/core/session/stored-session.ts';
import { KeyringVault, keychainAccount } from '../../src/core/vault/keyring-vault.ts';
import { keychainSkipReason } from './vault/keychain-session.ts';

// Nothing listens on port 9 of loopback: the provider is "unreachable".
const issuer = 'http://127.0.0.1:9/';
const clientId = `default-vault-test-${randomUUID()}`;
const entry = new KeyringVault({ account: keychainAccount(issuer, clientId) });
/** The keychain entry of alice's session once the accounts layout has taken it over. */
const aliceEntry = entry.entry(accountId(issuer, 'alice'));

afterEach(async () => {
  if (keychainSkipReason) return;
  await entry.clear();
  await aliceEntry.clear();
});

function restoreWithDefaultVault(): Promise<string> {
  const auth = createDesktopAuth({
    config: { issuer, clientId, apiAudience: 'http://127.0.0.1:3000' },
    logger: silentLogger,
    retrySchedule: [60_000],
  });
  return auth.restore().finally(() => auth.close());
}

it.skipIf(keychainSkipReason)(
  'without a vault option, the session is read from the OS keychain entry of the issuer and client, and taken over into its account’s entry',
  async () => {
    // As the single-account release left it: the session itself in the issuer and client's entry.
    const legacy = encodeStoredSession({
      issuer,
      clientId,
      sub: 'alice',
      refreshToken: 'stored-refresh-token',
    });
    await entry.write(legacy);
    // A stored session with an unreachable provider is "offline"; a memory vault would be "signed-out".
    expect(await restoreWithDefaultVault()).toBe('offline');
    // The keychain entry now holds the index of accounts (no token), and alice's entry the session as it was.
    const root = (await entry.read())!;
    expect(root).not.toContain('stored-refresh-token');
    expect(decodeAccountIndex(root, { issuer, clientId })).toEqual({
      ok: true,
      index: { accounts: [expect.objectContaining({ sub: 'alice' })], active: accountId(issuer, 'alice') },
    });
    expect(await aliceEntry.read()).toBe(legacy);
    // The next launch reads the new layout: the same outcome, nothing moved again.
    expect(await restoreWithDefaultVault()).toBe('offline');
    expect(await entry.read()).toBe(root);
    expect(await aliceEntry.read()).toBe(legacy);
  },
);

it.skipIf(keychainSkipReason)(
  'a DPoP-bound (version 2) session is taken over with its key: restored as offline, not refused for a missing key',
  async () => {
    const key = await DPoPKey.generate('ES256');
    const legacy = encodeStoredSession({
      issuer,
      clientId,
      sub: 'alice',
      refreshToken: 'rt-bound',
      dpop: key.stored,
    });
    await entry.write(legacy);
    expect(await restoreWithDefaultVault()).toBe('offline');
    expect(await aliceEntry.read()).toBe(legacy);
    expect(JSON.parse((await aliceEntry.read())!)).toMatchObject({ v: 2, dpop: { jkt: key.thumbprint } });
  },
);
