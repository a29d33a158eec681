/**
 * The CLI as a spawned process against both provider profiles, configured by environment
 * variables alone: login in Chromium (through $BROWSER), status and get /private (each
 * restores the session with a refresh grant), logout with the provider's sign-out page.
 * The OS keychain holds the session, as for a user.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AsyncEntry } from '@napi-rs/keyring';
import { completeLogin, completeLogout, launchBrowser } from '@electron-oidc/test-support';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_SHAPED, spawnCli, startUrlSink } from '../../packages/electron-oidc/test/cli/harness.ts';
import type { UrlSink } from '../../packages/electron-oidc/test/cli/harness.ts';
import { PROFILES, startProfile } from './support/profiles.ts';
import type { ProfileStack } from './support/profiles.ts';

const alice = { username: 'alice', password: 'wonderland' };

const noBus =
  process.env.DBUS_SESSION_BUS_ADDRESS === undefined && process.platform === 'linux'
    ? ' [SKIPPED: no D-Bus session; run inside "dbus-run-session -- scripts/with-keyring.sh"]'
    : '';

describe.skipIf(noBus !== '').each(PROFILES)(
  `the CLI against the %s provider profile${noBus}`,
  (profileName) => {
    let stack: ProfileStack;
    let browser: Browser;
    let page: Page;
    let sink: UrlSink;
    let cwd: string;
    let env: Record<string, string>;
    const vault = { service: `electron-oidc-second-provider-${randomUUID()}`, account: profileName };
    const keychain = new AsyncEntry(vault.service, vault.account, { linux: { store: 'secret-service' } });
    const storedRefreshToken = async () =>
      (JSON.parse((await keychain.getPassword())!) as { refresh_token: string }).refresh_token;
    let refreshTokenAtLogin: string;

    beforeAll(async () => {
      cwd = await mkdtemp(path.join(tmpdir(), 'e2e-second-provider-cli-'));
      [stack, browser, sink] = await Promise.all([
        startProfile(profileName),
        launchBrowser(),
        startUrlSink(),
      ]);
      page = await (await browser.newContext()).newPage();
      env = {
        ...stack.cliEnv,
        OIDC_VAULT_SERVICE: vault.service,
        OIDC_VAULT_ACCOUNT: vault.account,
        BROWSER: sink.browserCommand,
        CLI_TEST_URL_SINK: sink.url,
      };
    });
    afterAll(async () => {
      await keychain.deleteCredential().catch(() => {});
      await browser?.close();
      await sink?.close();
      await stack?.close();
      if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
    });

    const cli = (...args: string[]) => spawnCli(args, env, cwd);

    it('login: signs alice in through the browser and keeps the session in the keychain', async () => {
      const login = cli('login');
      const url = new URL(await sink.next());
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
    });

    it('status: restores with a refresh grant and shows alice and the issuer exactly as configured', async () => {
      const r = await cli('status').result;
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
      const r = await cli('get', '/private').result;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ message: 'Only authenticated users can read this message.' });
      expect(r.stdout + r.stderr).not.toMatch(JWT_SHAPED);
    });

    it('logout: clears the keychain, revokes where the provider can, and signs out at the provider', async () => {
      const logout = cli('logout');
      const url = new URL(await sink.next());
      expect(url.origin).toBe(new URL(stack.issuer).origin);
      if (stack.second !== undefined) {
        expect(url.searchParams.get('post_logout_redirect_uri')).toBe(stack.second.postLogoutRedirectUri);
      }
      await page.goto(url.href);
      await completeLogout(page);
      const r = await logout.result;
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        `Signed out Alice Liddell <alice@example.com> on this device${stack.traits.revokes ? '; the provider revoked the session' : ''}.\n`,
      );
      expect(r.stdout).toContain('Signed out at the provider too.');
      expect(await keychain.getPassword()).toBeNull();
    });

    it('status after logout: "Not signed in." and exit 1', async () => {
      const r = await cli('status').result;
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('electron-oidc: Not signed in. Run "electron-oidc login" to sign in.\n');
    });
  },
);
