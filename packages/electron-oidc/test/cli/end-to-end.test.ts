import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { completeLogin, completeLogout, freeLoopbackPort, launchBrowser } from '@electron-oidc/test-support';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';
import {
  captureWriter,
  JWT_SHAPED,
  keychainEntry,
  NO_BUS_NOTE,
  sessionFile,
  spawnCli,
  startCliUser,
} from '@electron-oidc/test-support/cli';
import type { CliUser } from '@electron-oidc/test-support/cli';

const alice = { username: 'alice', password: 'wonderland' };

// One story, in order, as a new user would run it: each step relies on the one before.
describe.skipIf(NO_BUS_NOTE !== '')(
  `the CLI against the local provider and API, Chromium as the browser, the keychain as the vault${NO_BUS_NOTE}`,
  () => {
    let stack: LocalStack;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let user: CliUser;
    // A keychain entry of its own per run, so nothing collides with a real one or another run.
    const vault = { service: `electron-oidc-test-${randomUUID()}`, account: 'cli-end-to-end' };
    const keychain = keychainEntry(vault);

    beforeAll(async () => {
      try {
        await keychain.setPassword('probe');
        await keychain.deleteCredential();
      } catch (err) {
        throw new Error(
          `The Secret Service on this D-Bus session refuses writes (${err instanceof Error ? err.message : String(err)}); it needs a default ("login") collection, which gnome-keyring-daemon --unlock creates only when given a password line on stdin.`,
          { cause: err },
        );
      }
      [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
      const { idp, api } = stack;
      context = await browser.newContext();
      page = await context.newPage();
      user = await startCliUser(
        {
          OIDC_ISSUER: idp.issuer,
          OIDC_CLIENT_ID: idp.clientId,
          OIDC_API_AUDIENCE: idp.apiResource,
          OIDC_API_BASE_URL: api.url,
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

    it('login: opens $BROWSER at the provider, prints the URL too, and says who signed in', async () => {
      const login = user.run('login');
      const url = new URL(await user.sink.next());
      expect(url.origin).toBe(new URL(stack.issuer).origin);
      // RFC 9126: the request was pushed; the launcher sees no state, PKCE challenge or nonce.
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);

      await page.goto(url.href);
      await completeLogin(page, alice);
      const r = await login.result;

      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Signed in as Alice Liddell <alice@example.com>.');
      const { accounts, active } = await user.storedAccounts();
      expect(accounts).toEqual([expect.objectContaining({ email: 'alice@example.com', id: active })]);
      expect(r.stdout).toContain(`Added the account ${active}; it is the active account.\n`);
      expect(r.stdout).toMatch(
        new RegExp(
          `Session kept in \\S+\\.session, encrypted with a key in the keychain \\(service "${vault.service}"`,
        ),
      );
      // For terminals where no browser opens, the URL is on stderr as well.
      expect(r.stderr).toContain(url.href);
      expect(await page.textContent('h1')).toBe('You are signed in');
      // The keychain holds only keys: the vault's own entry the index's, the account's entry its
      // session's; the index and the session rest sealed in files.
      expect(r.stdout).toContain(`account "${vault.account} #${active}")`);
      expect(await keychain.getPassword()).toMatch(/^k1:[\w-]{43}$/);
      expect(await keychainEntry(vault, active).getPassword()).toMatch(/^k1:[\w-]{43}$/);
      expect((await user.storedSession())?.refresh_token).toEqual(expect.any(String));
    });

    it('status: restores from the keychain and shows alice, the issuer and the expiry, never a token', async () => {
      const r = await user.run('status').result;
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Signed in as Alice Liddell <alice@example.com>');
      expect(r.stdout).toMatch(/Subject: +\S+/);
      expect(r.stdout).toContain(`Account:  ${(await user.storedAccounts()).active}\n`);
      expect(r.stdout).toContain(`Issuer:   ${new URL(stack.issuer).href}`);
      expect(r.stdout).toMatch(/Access token expires: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
      expect(r.stderr).toBe('');

      const output = r.stdout + r.stderr;
      expect(output).not.toMatch(JWT_SHAPED);
      const stored = await user.storedSession();
      expect(output).not.toContain(stored!.refresh_token);
    });

    it('get /private: calls the API with the session and prints the body', async () => {
      const r = await user.run('get', '/private').result;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ message: 'Only authenticated users can read this message.' });
      expect(r.stdout + r.stderr).not.toMatch(JWT_SHAPED);
    });

    it('get: an HTTP error exits 1 with the status on one line', async () => {
      const r = await user.run('get', '/no-such-thing').result;
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `electron-oidc: GET ${new URL('/no-such-thing', stack.api.url).href} failed: HTTP 404 Not Found.\n`,
      );
    });

    it('get: refuses a URL outside the configured API before any token is sent', async () => {
      const r = await user.run('get', 'https://attacker.example/steal').result;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^electron-oidc: Refusing to send the access token to https:\/\/attacker\.example/,
      );
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    });

    it('logout: revokes, clears the keychain and ends the session at the provider through the browser', async () => {
      const aliceId = (await user.storedAccounts()).active!;
      const logout = user.run('logout');
      // $BROWSER receives the one-shot loopback page, which posts the ID token to the provider:
      // no token on the launcher's command line, in the terminal or in the browser's history.
      const launched = await user.sink.next();
      expect(launched).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/end-session\/[\w-]+$/);
      expect(launched).not.toMatch(JWT_SHAPED);

      const posted = page.waitForRequest((request) => request.method() === 'POST');
      await page.goto(launched);
      const post = await posted;
      expect(new URL(post.url()).origin).toBe(new URL(stack.issuer).origin);
      expect(new URLSearchParams(post.postData() ?? '').get('id_token_hint')).toMatch(JWT_SHAPED);
      await completeLogout(page);
      const r = await logout.result;
      expect(r.stdout + r.stderr).not.toMatch(JWT_SHAPED);
      expect(page.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/logout\?state=/);
      // The page was for one use: opening it again shows nothing of the token.
      const again = await fetch(launched).then(
        async (res) => res.text(),
        () => '',
      );
      expect(again).not.toMatch(JWT_SHAPED);

      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        'Signed out Alice Liddell <alice@example.com> on this device; the provider revoked the session.',
      );
      expect(r.stdout).toContain('Signed out at the provider too.');
      expect(await page.textContent('h1')).toBe('You are signed out');
      // Nothing stays behind: the account's entry and session file, and the index's, are gone.
      expect(await keychainEntry(vault, aliceId).getPassword()).toBeNull();
      await expect(access(sessionFile(vault, user.vaultDirectory, aliceId))).rejects.toThrow();
      expect(await keychain.getPassword()).toBeNull();
      expect(await user.storedAccounts()).toEqual({ active: undefined, accounts: [] });
    });

    it('status after logout: "Not signed in." and exit 1', async () => {
      const r = await user.run('status').result;
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('electron-oidc: Not signed in. Run "electron-oidc login" to sign in.\n');
    });

    it('Ctrl-C during login cancels the sign-in: exit 130, one line, listener closed', async () => {
      // A fixed port, as the pushed request's redirect URI is not in the URL the browser gets.
      const port = await freeLoopbackPort();
      const redirectUri = `http://127.0.0.1:${port}/callback`;
      const login = spawnCli(['login'], { ...user.env, OIDC_REDIRECT_PORT: String(port) }, user.cwd);
      await user.sink.next();
      login.child.kill('SIGINT');
      const r = await login.result;
      expect(r.code).toBe(130);
      expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('electron-oidc: The sign-in was cancelled.');
      await expect(fetch(redirectUri)).rejects.toThrow();
      expect(await keychain.getPassword()).toBeNull();
    });

    it('in-process: an aborted signal cancels the pending sign-in and closes its listener', async () => {
      const interrupt = new AbortController();
      const opened: string[] = [];
      const stderr = captureWriter();
      const port = await freeLoopbackPort();
      const running = runCli({
        argv: ['login'],
        env: { ...user.env, OIDC_REDIRECT_PORT: String(port) },
        cwd: user.cwd,
        stdout: captureWriter(),
        stderr,
        signal: interrupt.signal,
        openBrowser: async (u) => {
          opened.push(u);
          interrupt.abort();
        },
      });
      expect(await running).toBe(130);
      expect(opened).toHaveLength(1);
      await expect(fetch(`http://127.0.0.1:${port}/callback`)).rejects.toThrow();
      expect(stderr.text()).toContain('electron-oidc: The sign-in was cancelled.');
    });
  },
);
