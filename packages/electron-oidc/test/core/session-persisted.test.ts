// DesktopAuth.sessionPersisted: the library says itself whether the session it holds is kept in
// the vault, so an app or the CLI can tell the user "you will have to sign in again" without
// wrapping the vault to find out.
import { TestVault } from '@electron-oidc/test-support';
import { describe, expect, it } from 'vitest';
import { createDesktopAuth } from '../../src/core/desktop-auth.ts';
import type { DesktopAuth } from '../../src/core/desktop-auth.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { MemoryVault } from '../../src/core/vault/memory-vault.ts';
import type { Vault } from '../../src/core/vault/vault.ts';
import { stubProvider } from './support/stub-provider.ts';

/** A persistent vault that refuses every write (e.g. a locked keychain). */
class RefusingVault extends TestVault {
  override async write(): Promise<void> {
    throw new Error('the keychain is locked');
  }
}

async function authWith(vault: Vault, options: { refreshToken: boolean }): Promise<DesktopAuth> {
  const provider = await stubProvider({ user: { sub: 'alice', name: 'Alice' }, ...options });
  return createDesktopAuth({
    config: provider.config,
    vault,
    logger: silentLogger,
    fetch: provider.fetch,
    openBrowser: provider.openBrowser,
  });
}

describe('sessionPersisted', () => {
  it('is undefined while signed out, true once the vault holds the session, undefined again after sign-out', async () => {
    const vault = new TestVault();
    const auth = await authWith(vault, { refreshToken: true });
    expect(auth.sessionPersisted).toBeUndefined();
    await auth.signIn();
    expect(auth.sessionPersisted).toBe(true);
    expect(vault.value).toContain('rt-1');
    await auth.signOut();
    expect(auth.sessionPersisted).toBeUndefined();
    auth.close();
  });

  it('is false after signIn() when the vault write failed: signed in, in memory only', async () => {
    const vault = new RefusingVault();
    const auth = await authWith(vault, { refreshToken: true });
    await auth.signIn();
    expect(auth.state).toBe('signed-in');
    expect(auth.sessionPersisted).toBe(false);
    expect(vault.value).toBeUndefined();
    auth.close();
  });

  it('is false when the provider issued no refresh token', async () => {
    const auth = await authWith(new TestVault(), { refreshToken: false });
    await auth.signIn();
    expect(auth.sessionPersisted).toBe(false);
    auth.close();
  });

  it('is false with a vault that lasts only as long as the process (memory)', async () => {
    const auth = await authWith(new MemoryVault(), { refreshToken: true });
    await auth.signIn();
    expect(auth.sessionPersisted).toBe(false);
    auth.close();
  });
});
