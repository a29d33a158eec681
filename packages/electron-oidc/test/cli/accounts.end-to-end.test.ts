/**
 * Several accounts in the CLI, end to end: the local provider and API, Chromium as the
 * user's browser, the real keychain (gnome-keyring) and sealed files as the vault, each
 * command a process of its own, as a user runs them. One story, in order: each step relies
 * on the one before.
 *
 * Which account's session a command used is read from the vault: the provider rotates
 * refresh tokens, so the account whose stored refresh token changed is the one that
 * refreshed (every process restores its session with a refresh grant).
 *
 * Both accounts sign in in one browser: bob's login ends alice's browser session at the
 * provider, which must not end her grant (the dev provider keeps a native client's grants
 * beyond the browser session). The second describe ends an account's grant at the provider
 * and shows what the CLI does then.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { completeLogin, completeLogout, launchBrowser } from '@electron-oidc/test-support';
import type { DemoCredentials } from '@electron-oidc/test-support';
import {
  JWT_SHAPED,
  keychainEntry,
  NO_BUS_NOTE,
  sessionFile,
  startCliUser,
} from '@electron-oidc/test-support/cli';
import type { CliUser } from '@electron-oidc/test-support/cli';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

const alice = { username: 'alice', password: 'wonderland' };
const bob = { username: 'bob', password: 'builder' };
const PRIVATE_MESSAGE = { message: 'Only authenticated users can read this message.' };

describe.skipIf(NO_BUS_NOTE !== '')(
  `the CLI with several accounts: login adds, accounts lists, use switches, --account borrows, logout removes${NO_BUS_NOTE}`,
  () => {
    let stack: LocalStack;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let user: CliUser;
    const vault = { service: `electron-oidc-test-${randomUUID()}`, account: 'cli-accounts' };
    let aliceId: string;
    let bobId: string;

    beforeAll(async () => {
      [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
      context = await browser.newContext();
      page = await context.newPage();
      user = await startCliUser(
        {
          OIDC_ISSUER: stack.idp.issuer,
          OIDC_CLIENT_ID: stack.idp.clientId,
          OIDC_API_AUDIENCE: stack.idp.apiResource,
          OIDC_API_BASE_URL: stack.api.url,
        },
        vault,
      );
    });
    afterAll(async () => {
      await user?.close();
      await context?.close();
      await browser?.close();
      await stack?.close();
    });

    /** The refresh token each account's entry holds now. */
    async function refreshTokens(): Promise<{ alice?: string; bob?: string }> {
      return {
        alice: (await user.storedSession('alice@example.com'))?.refresh_token,
        bob: (await user.storedSession('bob@example.com'))?.refresh_token,
      };
    }

    /**
     * Runs `login`, opens its URL in Chromium, and checks that the provider shows its login
     * form (not an immediate redirect back to the CLI), then signs `who` in on it.
     */
    async function loginOnTheForm(who: DemoCredentials) {
      const login = user.run('login');
      await page.goto(await user.sink.next());
      // Loaded and settled: still at the provider's interaction page, with the form.
      expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
      await expect(page.getByLabel('Username').isVisible()).resolves.toBe(true);
      await completeLogin(page, who);
      return login.result;
    }

    it('login alice: adds the first account, the active one', async () => {
      const r = await loginOnTheForm(alice);
      expect(r.code).toBe(0);
      const index = await user.storedAccounts();
      aliceId = index.active!;
      expect(index.accounts.map((a) => a.email)).toEqual(['alice@example.com']);
      expect(r.stdout).toContain('Signed in as Alice Liddell <alice@example.com>.\n');
      expect(r.stdout).toContain(`Added the account ${aliceId}; it is the active account.\n`);
    });

    it('login bob: the provider shows its login page although the browser is signed in there as alice, and bob is added as the active account', async () => {
      const r = await loginOnTheForm(bob);
      expect(r.code).toBe(0);
      const index = await user.storedAccounts();
      bobId = index.active!;
      expect(bobId).not.toBe(aliceId);
      expect(index.accounts.map((a) => a.email)).toEqual(['alice@example.com', 'bob@example.com']);
      expect(r.stdout).toContain('Signed in as Bob Builder <bob@example.com>.\n');
      expect(r.stdout).toContain(
        `Added the account ${bobId}; it is the active account (2 accounts signed in).\n`,
      );
      expect(r.stdout).toContain(`account "${vault.account} #${bobId}"`);
      // Each account's session rests in its own keychain entry and file; the index holds no token.
      const tokens = await refreshTokens();
      expect(tokens.alice).toEqual(expect.any(String));
      expect(tokens.bob).toEqual(expect.any(String));
      expect(tokens.alice).not.toBe(tokens.bob);
      expect(JSON.stringify(index)).not.toContain(tokens.alice);
      expect(JSON.stringify(index)).not.toContain(tokens.bob);
      for (const id of [aliceId, bobId]) {
        expect(await keychainEntry(vault, id).getPassword()).toMatch(/^k1:[\w-]{43}$/);
        await expect(access(sessionFile(vault, user.vaultDirectory, id))).resolves.toBeUndefined();
      }
    });

    it('accounts: one line each, bob marked active, never a token', async () => {
      const r = await user.run('accounts').result;
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^  Alice Liddell +alice@example\\.com +${aliceId} +signed in$`));
      expect(lines[1]).toMatch(new RegExp(`^\\* Bob Builder +bob@example\\.com +${bobId} +signed in$`));
      const tokens = await refreshTokens();
      expect(r.stdout).not.toMatch(JWT_SHAPED);
      expect(r.stdout).not.toContain(tokens.alice);
      expect(r.stdout).not.toContain(tokens.bob);
    });

    it("get /private: bob's session calls the API", async () => {
      const before = await refreshTokens();
      const r = await user.run('get', '/private').result;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(PRIVATE_MESSAGE);
      const after = await refreshTokens();
      expect(after.bob).not.toBe(before.bob);
      expect(after.alice).toBe(before.alice);
    });

    it("get --account alice /private: alice's session calls the API, and bob stays the active account", async () => {
      const before = await refreshTokens();
      const r = await user.run('get', '--account', 'alice@example.com', '/private').result;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(PRIVATE_MESSAGE);
      const after = await refreshTokens();
      expect(after.alice).not.toBe(before.alice);
      expect(after.bob).toBe(before.bob);
      expect((await user.storedAccounts()).active).toBe(bobId);

      const status = await user.run('status').result;
      expect(status.stdout).toContain('Signed in as Bob Builder <bob@example.com>\n');
    });

    it('status --account with an account that is not signed in: exit 1, how to list them', async () => {
      const r = await user.run('status', '--account', 'carol@example.com').result;
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'electron-oidc: No signed-in account is "carol@example.com"; "electron-oidc accounts" lists them (name one by its id, email or subject).\n',
      );
    });

    it('use alice: alice is the active account, remembered', async () => {
      const r = await user.run('use', aliceId).result;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`Active account: Alice Liddell <alice@example.com> (${aliceId}).\n`);
      expect((await user.storedAccounts()).active).toBe(aliceId);
    });

    it('a new process: status shows alice active, with both accounts kept', async () => {
      const r = await user.run('status').result;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Signed in as Alice Liddell <alice@example.com>\n');
      expect(r.stdout).toContain(
        `  Account:  ${aliceId}; 2 accounts signed in ("electron-oidc accounts" lists them)\n`,
      );
      const listed = await user.run('accounts').result;
      expect(listed.stdout).toMatch(new RegExp(`^\\* Alice Liddell .*${aliceId} +signed in$`, 'm'));
      expect(listed.stdout).toMatch(new RegExp(`^  Bob Builder .*${bobId} +signed in$`, 'm'));
    });

    it('logout bob: revokes and forgets bob only, ends the session at the provider; alice stays active', async () => {
      const logout = user.run('logout', 'bob@example.com');
      await page.goto(await user.sink.next());
      await completeLogout(page);
      const r = await logout.result;
      expect(r.stderr).toMatch(/^Opening your browser to end the session at the provider\. .*\n {2}\S+\n$/);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        [
          'Signed out Bob Builder <bob@example.com> on this device; the provider revoked the session.',
          'Signed out at the provider too.',
          `Active account: Alice Liddell <alice@example.com> (${aliceId}).`,
          '',
        ].join('\n'),
      );
      expect(await user.storedAccounts()).toEqual({
        active: aliceId,
        accounts: [expect.objectContaining({ id: aliceId, email: 'alice@example.com' })],
      });
      expect(await keychainEntry(vault, bobId).getPassword()).toBeNull();
      await expect(access(sessionFile(vault, user.vaultDirectory, bobId))).rejects.toThrow();
    });

    it("get /private as alice after bob's sign-out: a new process refreshes alice's session and calls the API", async () => {
      const before = await refreshTokens();
      const r = await user.run('get', '/private').result;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(PRIVATE_MESSAGE);
      expect((await refreshTokens()).alice).not.toBe(before.alice);
    });

    it('logout --all: bob signed in again, then every account signed out; none is left', async () => {
      const login = await loginOnTheForm(bob);
      expect(login.stdout).toContain(
        `Added the account ${bobId}; it is the active account (2 accounts signed in).\n`,
      );

      const logout = user.run('logout', '--all');
      await page.goto(await user.sink.next());
      await completeLogout(page);
      const r = await logout.result;
      expect(r.stderr).toMatch(/^Opening your browser to end the session at the provider\. .*\n {2}\S+\n$/);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        [
          'Signed out Alice Liddell <alice@example.com> and Bob Builder <bob@example.com> on this device; the provider revoked the sessions.',
          'Signed out at the provider too.',
          '',
        ].join('\n'),
      );
      // Nothing stays behind: no account's entry, and not the index's either.
      expect(await user.storedAccounts()).toEqual({ active: undefined, accounts: [] });
      expect(await keychainEntry(vault).getPassword()).toBeNull();
      for (const id of [aliceId, bobId]) {
        expect(await keychainEntry(vault, id).getPassword()).toBeNull();
        await expect(access(sessionFile(vault, user.vaultDirectory, id))).rejects.toThrow();
      }
      const accounts = await user.run('accounts').result;
      expect(accounts.code).toBe(1);
      expect(accounts.stderr).toBe(
        'electron-oidc: No accounts signed in. Run "electron-oidc login" to sign in.\n',
      );
      const status = await user.run('status').result;
      expect(status.code).toBe(1);
    });
  },
);

describe.skipIf(NO_BUS_NOTE !== '')(
  `the CLI when the provider ended an account's session: it says so, and never acts as another account${NO_BUS_NOTE}`,
  () => {
    let stack: LocalStack;
    let browser: Browser;
    let user: CliUser;
    const vault = { service: `electron-oidc-test-${randomUUID()}`, account: 'cli-accounts-ended' };

    beforeAll(async () => {
      [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
      user = await startCliUser(
        {
          OIDC_ISSUER: stack.idp.issuer,
          OIDC_CLIENT_ID: stack.idp.clientId,
          OIDC_API_AUDIENCE: stack.idp.apiResource,
          OIDC_API_BASE_URL: stack.api.url,
        },
        vault,
      );
      // Each account signs in in a browser of its own: nothing at the provider ties them.
      for (const who of [alice, bob]) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const login = user.run('login');
        await page.goto(await user.sink.next());
        await completeLogin(page, who);
        expect((await login.result).code).toBe(0);
        await context.close();
      }
    });
    afterAll(async () => {
      await user?.close();
      await browser?.close();
      await stack?.close();
    });

    /** Ends an account's grant at the provider, as an administrator would (RFC 7009 revocation). */
    async function revoke(email: string): Promise<void> {
      const { refresh_token: token } = (await user.storedSession(email))!;
      const discovery = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as {
        revocation_endpoint: string;
      };
      const response = await fetch(discovery.revocation_endpoint, {
        method: 'POST',
        body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: stack.idp.clientId }),
      });
      expect(response.status).toBe(200);
    }

    it("get --account alice after the provider ended alice's session: exit 1, says so, and does not call the API as bob", async () => {
      await revoke('alice@example.com');
      const r = await user.run('get', '--account', 'alice@example.com', '/private').result;
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'electron-oidc: The provider ended the session of Alice Liddell <alice@example.com>, so it was signed out on this device; run "electron-oidc login" to sign in again. The active account is now Bob Builder <bob@example.com>.\n',
      );
      const { accounts, active } = await user.storedAccounts();
      expect(accounts.map((a) => a.email)).toEqual(['bob@example.com']);
      expect(active).toBe(accounts[0]!.id);
      // Bob is still signed in (the library renewed his session as the next active one).
      expect((await user.run('status').result).stdout).toContain(
        'Signed in as Bob Builder <bob@example.com>\n',
      );
    });

    it("logout after the provider ended the active account's session: nothing else is signed out", async () => {
      await revoke('bob@example.com');
      const r = await user.run('logout').result;
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        'The provider had ended the session of Bob Builder <bob@example.com>; it is signed out on this device.\n',
      );
      expect(await user.storedAccounts()).toEqual({ active: undefined, accounts: [] });
      const status = await user.run('status').result;
      expect(status.code).toBe(1);
      expect(status.stderr).toBe('electron-oidc: Not signed in. Run "electron-oidc login" to sign in.\n');
    });
  },
);
