/**
 * Several accounts against the real local provider and a real Chromium
 * (issue 14). One story, told in order, each step relying on the one before:
 * alice and bob both signed in (the second sign-in made the provider show its
 * login page though the browser held alice's provider session), API calls as
 * each, a restart keeping both and the active one, signing out of bob alone
 * (revoked at the provider, his entry cleared, alice untouched), bob's grant
 * revoked behind the library's back (bob alone signed out), and signing out
 * of all.
 */
import { launchBrowser, OpenInstances, recordingLogger } from '@electron-oidc/test-support';
import type { DemoCredentials } from '@electron-oidc/test-support';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountId, decodeAccountIndex } from '../../../src/core/accounts/account-index.ts';
import type { AccountIndex } from '../../../src/core/accounts/account-index.ts';
import type { AuthConfigInput } from '../../../src/core/config.ts';
import type { DesktopAuth } from '../../../src/core/desktop-auth.ts';
import { DPoPKey } from '../../../src/core/dpop/key.ts';
import type { StoredDPoPKey } from '../../../src/core/dpop/key.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import {
  alice,
  authFor,
  browserOpener,
  countingFetch,
  discoverDirectly,
  requestParameters,
} from './harness.ts';
import type { CountingFetch } from './harness.ts';
import { startLocalStack } from '../../support/local-stack.ts';
import type { LocalStack } from '../../support/local-stack.ts';

const bob: DemoCredentials = { username: 'bob', password: 'builder' };

interface StoredEntry {
  sub: string;
  refresh_token: string;
  dpop?: StoredDPoPKey;
}

describe('several accounts: alice and bob (local provider, real Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;
  // One browser profile throughout: the user's system browser, holding the provider's session.
  let context: BrowserContext;
  const vault = new MemoryVault();
  const logger = recordingLogger();
  const instances = new OpenInstances<DesktopAuth>();
  let clockOffset = 0;
  let aliceSub: string;
  let bobSub: string;
  // No prompt=consent: the library asks for offline_access, which the local provider grants
  // only with consent, so alice's refresh token is tied to nothing but her grant because the
  // provider says so for its native client (expiresWithSession); bob logging in in her browser
  // must leave it working, as the story below checks.
  const config: AuthConfigInput & Record<string, unknown> = { accounts: 'multiple' };

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
    context = await browser.newContext();
  });
  afterAll(async () => {
    instances.closeAll();
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  /** The library instance of this launch, on the shared vault. */
  function launch(counter: CountingFetch = countingFetch()): DesktopAuth {
    return instances.add(
      authFor(stack, {
        vault,
        logger,
        fetch: counter.fetch,
        now: () => Date.now() + clockOffset,
        config,
      }),
    );
  }

  /** A launch that signs in through the browser as `credentials` (after restoring what is stored). */
  async function signInAs(
    credentials: DemoCredentials,
    options: { vault?: MemoryVault; config?: AuthConfigInput & Record<string, unknown> } = {},
  ) {
    const page = await context.newPage();
    const opener = browserOpener(page, credentials);
    const counter = countingFetch();
    const auth = instances.add(
      authFor(stack, {
        vault: options.vault ?? vault,
        logger,
        fetch: counter.fetch,
        openBrowser: opener.open,
        now: () => Date.now() + clockOffset,
        config: options.config ?? config,
      }),
    );
    await auth.restore();
    const profile = await auth.signIn();
    await opener.settled();
    await page.goto('about:blank').catch(() => {});
    await page.close();
    const request = requestParameters(new URL(opener.opened[0]!), counter);
    const prompts = request.get('prompt')?.split(' ') ?? [];
    return { auth, profile, prompts, loginPageShown: opener.loginPageShown[0] };
  }

  /** The issuer as the library's config holds it (the accounts' ids are made from it). */
  const issuerKey = () => new URL(stack.idp.issuer).href;

  async function storedIndex(): Promise<AccountIndex> {
    const decoded = decodeAccountIndex((await vault.read())!, {
      issuer: issuerKey(),
      clientId: stack.idp.clientId,
    });
    if (!decoded.ok) throw new Error(decoded.problem);
    return decoded.index;
  }

  const entryOf = async (sub: string): Promise<StoredEntry | undefined> => {
    const raw = await vault.entry(accountId(issuerKey(), sub)).read();
    return raw === undefined ? undefined : (JSON.parse(raw) as StoredEntry);
  };

  /** Presents `entry`'s refresh token at the provider as its holder would (with its DPoP key). */
  async function refreshAtProvider(entry: StoredEntry) {
    const provider = await discoverDirectly(stack);
    const key = entry.dpop === undefined ? undefined : await DPoPKey.restore(entry.dpop);
    return client.refreshTokenGrant(
      provider,
      entry.refresh_token,
      { resource: stack.idp.apiResource },
      key === undefined ? undefined : { DPoP: key.handle(provider) },
    );
  }

  const subOfAccessToken = async (auth: DesktopAuth) => decodeJwt(await auth.getAccessToken()).sub;

  it('alice signs in; a library with no account then signs in silently as alice: the browser holds her provider session', async () => {
    const first = await signInAs(alice);
    aliceSub = first.profile.sub;
    expect(first.profile.email).toBe('alice@example.com');
    expect(first.prompts).toEqual([]);
    expect(first.loginPageShown).toBe(true);

    // The control: without the prompt, the provider returns alice without asking anyone,
    // although this browser is played with bob's credentials.
    const probe = await signInAs(bob, { vault: new MemoryVault() });
    expect(probe.prompts).toEqual([]);
    expect(probe.loginPageShown).toBe(false);
    expect(probe.profile.sub).toBe(aliceSub);
  });

  it('a sign-in for another account asks prompt=login (select_account where listed), and the provider shows its login page: bob is added', async () => {
    const listed: unknown = (await discoverDirectly(stack)).serverMetadata().prompt_values_supported;
    const expected = Array.isArray(listed) && listed.includes('select_account') ? 'select_account' : 'login';
    // The local provider does not list select_account today.
    expect(expected).toBe('login');

    const second = await signInAs(bob);
    bobSub = second.profile.sub;
    expect(second.prompts).toEqual([expected]);
    expect(second.loginPageShown).toBe(true);
    expect(second.profile).toMatchObject({ email: 'bob@example.com', name: 'Bob Builder' });
    expect(bobSub).not.toBe(aliceSub);

    expect(second.auth.listAccounts()).toEqual([
      expect.objectContaining({
        id: accountId(issuerKey(), aliceSub),
        email: 'alice@example.com',
        active: false,
      }),
      expect.objectContaining({ id: accountId(issuerKey(), bobSub), email: 'bob@example.com', active: true }),
    ]);
    // One entry each, and an index that never holds a token.
    expect((await entryOf(aliceSub))?.sub).toBe(aliceSub);
    expect((await entryOf(bobSub))?.sub).toBe(bobSub);
    const root = (await vault.read())!;
    expect(root).not.toContain((await entryOf(aliceSub))!.refresh_token);
    expect(root).not.toContain((await entryOf(bobSub))!.refresh_token);
    expect(root).not.toMatch(/refresh|"d":|eyJ/);
    expect(await storedIndex()).toMatchObject({ active: accountId(issuerKey(), bobSub) });
  });

  it('API calls as each account: the active one’s access token', async () => {
    const auth = instances.list.at(-1)!;
    expect((await auth.fetchApi('/private')).status).toBe(200);
    expect(await subOfAccessToken(auth)).toBe(bobSub);
    expect(await auth.useAccount('ALICE@example.com')).toBe('signed-in');
    expect((await auth.fetchApi('/private')).status).toBe(200);
    expect(await subOfAccessToken(auth)).toBe(aliceSub);
    expect((await auth.getProfile())?.email).toBe('alice@example.com');
  });

  it('a restart keeps both accounts and the active one, restoring only the active one', async () => {
    instances.closeAll();
    const counter = countingFetch();
    const auth = launch(counter);
    expect(await auth.restore()).toBe('signed-in');
    expect(counter.grants).toEqual(['refresh_token']);
    expect(auth.listAccounts().map((a) => [a.email, a.active])).toEqual([
      ['alice@example.com', true],
      ['bob@example.com', false],
    ]);
    expect(await subOfAccessToken(auth)).toBe(aliceSub);
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });

  it('signOut({ account: bob }) revokes his refresh token, clears his entry, and leaves alice signed in', async () => {
    const auth = instances.list.at(-1)!;
    const bobEntry = (await entryOf(bobSub))!;
    // Bob was not restored in this launch: his refresh token is only in the vault.
    const result = await auth.signOut({ account: 'bob@example.com' });
    expect(result.revoked).toBe(true);
    expect(await entryOf(bobSub)).toBeUndefined();
    expect(auth.listAccounts().map((a) => a.email)).toEqual(['alice@example.com']);
    expect(auth.state).toBe('signed-in');
    expect((await storedIndex()).accounts.map((r) => r.sub)).toEqual([aliceSub]);
    // The provider refuses bob's refresh token now, even with his DPoP key (RFC 7009 §2.2).
    await expect(refreshAtProvider(bobEntry)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Alice's refresh still works: her access token expires on the library's clock, and is renewed.
    const before = await auth.getAccessToken();
    clockOffset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1000;
    const after = await auth.getAccessToken();
    clockOffset = 0;
    expect(after).not.toBe(before);
    expect(decodeJwt(after).sub).toBe(aliceSub);
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });

  it('bob’s grant revoked at the provider behind the library’s back: his refresh gets invalid_grant and signs out bob only', async () => {
    const { auth } = await signInAs(bob);
    expect(await subOfAccessToken(auth)).toBe(bobSub);
    const bobEntry = (await entryOf(bobSub))!;
    const provider = await discoverDirectly(stack);
    await client.tokenRevocation(provider, bobEntry.refresh_token, { token_type_hint: 'refresh_token' });

    clockOffset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1000;
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
    expect(await entryOf(bobSub)).toBeUndefined();
    expect(auth.listAccounts()).toEqual([
      expect.objectContaining({ email: 'alice@example.com', active: true }),
    ]);
    await expect.poll(() => auth.state).toBe('signed-in');
    expect(await subOfAccessToken(auth)).toBe(aliceSub);
    expect((await auth.fetchApi('/private')).status).toBe(200);
    clockOffset = 0;
    expect((await storedIndex()).active).toBe(accountId(issuerKey(), aliceSub));
    expect((await entryOf(aliceSub))?.sub).toBe(aliceSub);
  });

  it('signOut({ all: true }) revokes every account’s refresh token and clears every entry', async () => {
    const { auth } = await signInAs(bob);
    expect(auth.listAccounts()).toHaveLength(2);
    const entries = [(await entryOf(aliceSub))!, (await entryOf(bobSub))!];
    const result = await auth.signOut({ all: true });
    expect(result.revoked).toBe(true);
    expect(auth.state).toBe('signed-out');
    expect(auth.listAccounts()).toEqual([]);
    expect(await entryOf(aliceSub)).toBeUndefined();
    expect(await entryOf(bobSub)).toBeUndefined();
    // Nothing stays behind: not even an empty index.
    expect(await vault.read()).toBeUndefined();
    for (const entry of entries) {
      await expect(refreshAtProvider(entry)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
    const again = launch();
    expect(await again.restore()).toBe('signed-out');
  });

  it('no token ever reached the logger', () => {
    expect(logger.lines.join('\n')).not.toMatch(/ey[\w-]+\.ey[\w-]+\./);
  });
});
