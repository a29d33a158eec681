/**
 * The CLI as a spawned process against both provider profiles, configured by environment
 * variables alone: login in Chromium (through $BROWSER), status and get /private (each
 * restores the session with a refresh grant), logout with the provider's sign-out page.
 * The OS keychain holds the session, as for a user.
 */
import { randomUUID } from 'node:crypto';
import { completeLogin, completeLogout, launchBrowser } from '@electron-oidc/test-support';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_SHAPED, keychainEntry, NO_BUS_NOTE, startCliUser } from '@electron-oidc/test-support/cli';
import type { CliUser } from '@electron-oidc/test-support/cli';
import { PROFILES, startProfile } from './support/profiles.ts';
import type { ProfileStack } from './support/profiles.ts';

const alice = { username: 'alice', password: 'wonderland' };

describe.skipIf(NO_BUS_NOTE !== '').each(PROFILES)(
  `the CLI against the %s provider profile${NO_BUS_NOTE}`,
  (profileName) => {
    let stack: ProfileStack;
    let browser: Browser;
    let page: Page;
    let user: CliUser;
    const vault = { service: `electron-oidc-second-provider-${randomUUID()}`, account: profileName };
    const storedRefreshToken = async () => (await user.storedSession())!.refresh_token;
    let refreshTokenAtLogin: string;

    beforeAll(async () => {
      [stack, browser] = await Promise.all([startProfile(profileName), launchBrowser()]);
      page = await (await browser.newContext()).newPage();
      user = await startCliUser(stack.cliEnv, vault);
    });
    afterAll(async () => {
      await user?.close();
      await browser?.close();
      await stack?.close();
    });

    it('login: signs alice in through the browser and keeps the session in the keychain', async () => {
      const login = user.run('login');
      const url = new URL(await user.sink.next());
      expect(url.origin).toBe(new URL(stack.issuer).origin);
      if (stack.second !== undefined)
        expect(url.searchParams.get('redirect_uri')).toBe(stack.second.redirectUri);
      await page.goto(url.href);
      await completeLogin(page, alice);
      const r = await login.result;
      // For terminals where no browser opens, the URL is on stderr as well.
      expect(r.stderr).toContain(url.href);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Signed in as Alice Liddell <alice@example.com>.');
      refreshTokenAtLogin = await storedRefreshToken();
      // The vault's own keychain entry holds the key of the index of accounts; alice's session is in her own.
      const { accounts, active } = await user.storedAccounts();
      expect(accounts).toEqual([expect.objectContaining({ id: active, email: 'alice@example.com' })]);
      expect(await keychainEntry(vault, active).getPassword()).toMatch(/^k1:/);
    });

    it('status: restores with a refresh grant and shows alice and the issuer exactly as configured', async () => {
      const r = await user.run('status').result;
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Signed in as Alice Liddell <alice@example.com>');
      // The local issuer has no path, so its URL form ends in "/"; the second one is written with it.
      expect(r.stdout).toContain(`Issuer:   ${new URL(stack.issuer).href}\n`);
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toMatch(JWT_SHAPED);
      // The refresh either rotated the token (stored anew) or left it as it was (kept).
      expect((await storedRefreshToken()) !== refreshTokenAtLogin).toBe(stack.traits.rotatesRefreshTokens);
    });

    it('get /private: the API accepts the access token', async () => {
      const r = await user.run('get', '/private').result;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ message: 'Only authenticated users can read this message.' });
      expect(r.stdout + r.stderr).not.toMatch(JWT_SHAPED);
    });

    it('logout: clears the keychain, revokes where the provider can, and signs out at the provider', async () => {
      const { active } = await user.storedAccounts();
      const logout = user.run('logout');
      // $BROWSER gets the library's one-shot loopback page, which posts the logout form.
      const launched = await user.sink.next();
      expect(launched).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/end-session\/[\w-]+$/);
      const posted = page.waitForRequest((request) => request.method() === 'POST');
      await page.goto(launched);
      const form = new URLSearchParams((await posted).postData() ?? '');
      expect(new URL((await posted).url()).origin).toBe(new URL(stack.issuer).origin);
      if (stack.second !== undefined) {
        expect(form.get('post_logout_redirect_uri')).toBe(stack.second.postLogoutRedirectUri);
      }
      await completeLogout(page);
      const r = await logout.result;
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        `Signed out Alice Liddell <alice@example.com> on this device${stack.traits.revokes ? '; the provider revoked the session' : ''}.\n`,
      );
      expect(r.stdout).toContain('Signed out at the provider too.');
      // Nothing stays behind: the account's keychain entry (its session's key), and the index's.
      expect(await keychainEntry(vault, active).getPassword()).toBeNull();
      expect(await keychainEntry(vault).getPassword()).toBeNull();
    });

    it('status after logout: "Not signed in." and exit 1', async () => {
      const r = await user.run('status').result;
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('electron-oidc: Not signed in. Run "electron-oidc login" to sign in.\n');
    });
  },
);
