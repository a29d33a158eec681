import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { createDesktopAuth } from '../../src/core/desktop-auth.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { encodeStoredSession } from '../../src/core/session/stored-session.ts';
import { KeyringVault, keychainAccount } from '../../src/core/vault/keyring-vault.ts';
import { keychainSkipReason } from './vault/keychain-session.ts';

// Nothing listens on port 9 of loopback: the provider is "unreachable".
const issuer = 'http://127.0.0.1:9/';
const clientId = `default-vault-test-${randomUUID()}`;
const entry = new KeyringVault({ account: keychainAccount(issuer, clientId) });

afterEach(async () => {
  if (!keychainSkipReason) await entry.clear();
});

it.skipIf(keychainSkipReason)(
  'without a vault option, the session is read from the OS keychain entry of the issuer and client',
  async () => {
    await entry.write(
      encodeStoredSession({ issuer, clientId, sub: 'alice', refreshToken: 'stored-refresh-token' }),
    );
    const auth = createDesktopAuth({
      config: { issuer, clientId, apiAudience: 'http://127.0.0.1:3000' },
      logger: silentLogger,
      retrySchedule: [60_000],
    });
    try {
      // A stored session with an unreachable provider is "offline"; a memory vault would be "signed-out".
      expect(await auth.restore()).toBe('offline');
      expect(await entry.read()).toContain('stored-refresh-token');
    } finally {
      auth.close();
    }
  },
);
