/**
 * A sign-in meant for another account (issue 14) asks the provider to show
 * its account choice or login page (OIDC Core §3.1.2.1 `prompt`), so the
 * provider's browser session does not silently return the account signed in:
 * `select_account` where discovery lists it in `prompt_values_supported`,
 * else `login`. A first sign-in, and a step-up, ask nothing extra.
 */
import { describe, expect, it } from 'vitest';
import { createDesktopAuth } from '../../../src/core/desktop-auth.ts';
import type { DesktopAuth } from '../../../src/core/desktop-auth.ts';
import { silentLogger } from '../../../src/core/logger.ts';
import { anotherAccountPrompt } from '../../../src/core/sign-in/sign-in.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import type { Vault } from '../../../src/core/vault/vault.ts';
import { json, stubProvider } from '../support/stub-provider.ts';

/** The stub provider with `prompt_values_supported` in its discovery (when given), recording each authorization URL. */
async function providerListing(promptValues: readonly string[] | undefined) {
  const stub = await stubProvider({ user: { sub: 'alice', email: 'alice@example.com' }, refreshToken: true });
  const opened: URL[] = [];
  const fetch = async (url: string): Promise<Response> => {
    const response = await stub.fetch(url);
    if (promptValues === undefined || !url.endsWith('/.well-known/openid-configuration')) return response;
    return json(200, { ...((await response.json()) as object), prompt_values_supported: promptValues });
  };
  const openBrowser = async (url: string) => {
    opened.push(new URL(url));
    await stub.openBrowser(url);
  };
  return { config: stub.config, fetch, openBrowser, opened };
}

function authOn(provider: Awaited<ReturnType<typeof providerListing>>, vault: Vault): DesktopAuth {
  return createDesktopAuth({
    config: { ...provider.config, accounts: 'multiple' },
    vault,
    logger: silentLogger,
    fetch: provider.fetch,
    openBrowser: provider.openBrowser,
  });
}

describe('the prompt of a sign-in for another account', () => {
  it('anotherAccountPrompt: select_account where discovery lists it, else login', () => {
    const base = { issuer: 'https://idp.test/' };
    expect(
      anotherAccountPrompt({ ...base, prompt_values_supported: ['none', 'login', 'select_account'] }),
    ).toBe('select_account');
    expect(anotherAccountPrompt({ ...base, prompt_values_supported: ['none', 'login', 'consent'] })).toBe(
      'login',
    );
    expect(anotherAccountPrompt(base)).toBe('login');
    expect(
      anotherAccountPrompt({ ...base, prompt_values_supported: 'select_account' as unknown as string[] }),
    ).toBe('login');
  });

  it('a provider listing select_account gets prompt=select_account once an account is signed in, not before', async () => {
    const provider = await providerListing(['none', 'login', 'consent', 'select_account']);
    const auth = authOn(provider, new MemoryVault());
    try {
      await auth.signIn();
      await auth.signIn();
      expect(provider.opened.map((u) => u.searchParams.get('prompt'))).toEqual([null, 'select_account']);
    } finally {
      auth.close();
    }
  });

  it('a provider that does not list select_account gets prompt=login', async () => {
    const provider = await providerListing(undefined);
    const auth = authOn(provider, new MemoryVault());
    try {
      await auth.signIn();
      await auth.signIn();
      expect(provider.opened.map((u) => u.searchParams.get('prompt'))).toEqual([null, 'login']);
    } finally {
      auth.close();
    }
  });

  it('a sign-in before restore() still knows of the stored accounts and asks', async () => {
    const provider = await providerListing(['login', 'select_account']);
    const vault = new MemoryVault();
    const first = authOn(provider, vault);
    await first.signIn();
    first.close();
    const second = authOn(provider, vault);
    try {
      await second.signIn();
      expect(provider.opened.map((u) => u.searchParams.get('prompt'))).toEqual([null, 'select_account']);
    } finally {
      second.close();
    }
  });

  it('a configured prompt is kept beside it', async () => {
    const provider = await providerListing(['login', 'consent']);
    const auth = createDesktopAuth({
      config: { ...provider.config, accounts: 'multiple', authorizationParams: { prompt: 'consent' } },
      vault: new MemoryVault(),
      logger: silentLogger,
      fetch: provider.fetch,
      openBrowser: provider.openBrowser,
    });
    try {
      await auth.signIn();
      await auth.signIn();
      expect(provider.opened.map((u) => u.searchParams.get('prompt'))).toEqual(['consent', 'consent login']);
    } finally {
      auth.close();
    }
  });
});
