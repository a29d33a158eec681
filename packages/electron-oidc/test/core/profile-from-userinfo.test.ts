// getProfile() completes the profile from userinfo (OIDC Core §5.3) when the ID token has
// only `sub`, as many providers issue it. A provider that said no is not asked again in
// the session; a transient failure (5xx, network) is retried after USERINFO_RETRY_MS.
import { describe, expect, it } from 'vitest';
import { createDesktopAuth } from '../../src/core/desktop-auth.ts';
import { USERINFO_RETRY_MS } from '../../src/core/profile-completion.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { MemoryVault } from '../../src/core/vault/memory-vault.ts';
import { json, stubProvider } from './support/stub-provider.ts';
import type { UserinfoAnswer } from './support/stub-provider.ts';

const ALICE = { sub: 'alice', name: 'Alice Liddell', email: 'alice@example.com' };

async function signedIn(userinfoAnswers: UserinfoAnswer[]) {
  const provider = await stubProvider({ user: ALICE, userinfoAnswers });
  let clock = Date.now();
  const auth = createDesktopAuth({
    config: provider.config,
    vault: new MemoryVault(),
    logger: silentLogger,
    fetch: provider.fetch,
    openBrowser: provider.openBrowser,
    now: () => clock,
  });
  const atSignIn = await auth.signIn();
  return { auth, provider, atSignIn, advance: (ms: number) => (clock += ms) };
}

describe('the profile from userinfo when the ID token has only sub', () => {
  it('is completed from userinfo at sign-in', async () => {
    const { auth, atSignIn } = await signedIn([]);
    expect(atSignIn).toEqual(ALICE);
    auth.close();
  });

  it('after a transient failure (503) is completed on a call made once USERINFO_RETRY_MS has passed', async () => {
    const { auth, provider, atSignIn, advance } = await signedIn([
      () => json(503, { error: 'temporarily_unavailable' }),
    ]);
    expect(atSignIn).toEqual({ sub: 'alice' });
    advance(USERINFO_RETRY_MS - 1);
    expect(await auth.getProfile()).toEqual({ sub: 'alice' });
    expect(provider.userinfoCalls()).toBe(1);
    advance(1);
    expect(await auth.getProfile()).toEqual(ALICE);
    expect(provider.userinfoCalls()).toBe(2);
    auth.close();
  });

  it('after the provider refused (401 invalid_token) is not asked again in this session', async () => {
    const refused = () =>
      new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    const { auth, provider, atSignIn, advance } = await signedIn([refused]);
    expect(atSignIn).toEqual({ sub: 'alice' });
    advance(10 * USERINFO_RETRY_MS);
    expect(await auth.getProfile()).toEqual({ sub: 'alice' });
    expect(provider.userinfoCalls()).toBe(1);
    auth.close();
  });
});
