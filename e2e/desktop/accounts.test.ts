/**
 * Several accounts in the desktop app, end to end: the real renderer and
 * preload in Chromium, the library and bridge in Node with `accounts:
 * 'multiple'` (as main.ts sets it), the local provider and the API, and the
 * vault main.ts opens: the OS keychain (gnome-keyring here, run under
 * `dbus-run-session -- scripts/with-keyring.sh`) holding the key, the
 * sessions sealed in a userData folder. One story, in order:
 *
 * | Step                                   | What must hold                                                          |
 * | -------------------------------------- | ----------------------------------------------------------------------- |
 * | Alice signs in, then "Add account"     | the provider shows its login page (not Alice again); Bob signs in       |
 * | the switcher                           | lists both, Bob active; a keyboard works it (menu button pattern)       |
 * | private message as Bob, then as Alice  | the API got Bob's token, then Alice's (the tokens' `sub`, seen by a     |
 * |                                        | witness on the wire: `/private` does not say whose token it was)        |
 * | the attacker's side                    | odd ids, objects, huge strings, another origin: coded refusals, nothing |
 * |                                        | reaches the library; no token, no `sub` in what the page sees           |
 * | restart                                | both accounts kept, Alice still active; Bob restored on switching       |
 * | "Sign out of Bob"                      | Bob gone here and at the provider; Alice signed in, her refresh works   |
 * | the provider refuses Bob (invalid_grant)| Bob leaves the list with a notice; Alice stays signed in               |
 * | the active account's session is lost   | signed-out screen, the switcher still lists the other account           |
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeLogin, launchBrowser, storedRefreshToken } from '@electron-oidc/test-support';
import { keychainAccount, openVault } from 'electron-oidc';
import type { Vault } from 'electron-oidc';
import { BRIDGE_CHANNELS } from 'electron-oidc/bridge';
import type { BridgeAccount } from 'electron-oidc/bridge';
import { deferredVault, sealedVaultFiles } from 'electron-oidc/vault';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';
import { saveScreenshot, startDesktopHarness } from './harness.ts';
import type { DesktopHarness } from './harness.ts';

const alice = { username: 'alice', password: 'wonderland' };
const bob = { username: 'bob', password: 'builder' };
const MESSAGE = 'Only authenticated users can read this message.';

let stack: LocalStack;
let browser: Browser;
let h: DesktopHarness;
let win: Page;
let userData: string;
let keychain: { service: string; account: string };
/** How far the library's clock is ahead of the real one. */
let clockAhead = 0;

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** The vault main.ts opens: the OS keychain for the key, the sessions sealed in userData; never memory. */
function openAppVault(): Promise<Vault> {
  return openVault({ ...keychain, directory: userData, fallbackToMemory: false, logger: quiet });
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
  userData = await mkdtemp(path.join(tmpdir(), 'e2e-accounts-userdata-'));
  keychain = {
    service: `electron-oidc e2e accounts ${randomUUID()}`,
    account: keychainAccount(stack.issuer, stack.config.clientId!),
  };
  h = await startDesktopHarness({
    // As the demo app runs: no prompt=consent, so Bob signing in in Alice's browser must leave her
    // grant alone (the local provider's native client grants outlive the browser session).
    config: { ...stack.config, accounts: 'multiple' },
    browser,
    // Each launch opens the keychain afresh, as main.ts does at start-up.
    vault: () => deferredVault(openAppVault()),
    now: () => Date.now() + clockAhead,
  });
});

afterAll(async () => {
  await h?.close();
  await browser?.close();
  await stack?.close();
  if (userData !== undefined) await rm(userData, { recursive: true, force: true });
});

/** The `sub` of a JWT access token, read by the test as a witness (the app never decodes it). */
function subjectOf(token: string | undefined): unknown {
  const payload = token?.split('.')[1];
  return payload === undefined ? undefined : JSON.parse(Buffer.from(payload, 'base64url').toString()).sub;
}

/** The `sub` whose token the API received last. */
function lastApiSubject(): unknown {
  return subjectOf(h.apiRequests.at(-1)?.accessToken);
}

/** The system browser's page for the `count`th URL the library opened, once it has opened it. */
async function browserPage(count: number): Promise<Page> {
  await expect.poll(() => h.system.opened.length).toBe(count);
  return h.system.lastPage();
}

/** The library's accounts, for the test to name them by id. */
function accountIdOf(email: string): string {
  const account = h.app.auth.listAccounts().find((a) => a.email === email);
  if (account === undefined) throw new Error(`${email} is not listed`);
  return account.id;
}

const menuButton = () => win.locator('#account-button');
const menu = () => win.getByRole('menu', { name: 'Accounts' });

async function openMenu(): Promise<void> {
  if ((await menuButton().getAttribute('aria-expanded')) !== 'true') await menuButton().click();
  await menu().waitFor();
}

/** The menu's items, by their accessible names, in order. */
async function menuItems(): Promise<string[]> {
  return menu()
    .getByRole('menuitem')
    .evaluateAll((items) =>
      items.map((item) => item.getAttribute('aria-label') ?? (item.textContent ?? '').trim()),
    );
}

/** The accessible name of what has the focus. */
async function focused(): Promise<string | null> {
  const element = win.locator(':focus');
  return (await element.getAttribute('aria-label')) ?? (await element.textContent())?.trim() ?? null;
}

/** Adds an account through the switcher: the provider's login page must be shown, and `who` signs in there. */
async function addAccount(who: typeof alice): Promise<void> {
  const opened = h.system.opened.length;
  await openMenu();
  await menu().getByRole('menuitem', { name: 'Add account' }).click();
  await win.getByRole('heading', { name: 'Waiting for you to sign in in your browser…' }).waitFor();
  const login = await browserPage(opened + 1);
  // The login page itself, with an empty form: not a silent sign-in as whoever the browser knows.
  await login.getByLabel('Password').waitFor();
  expect(await login.getByLabel('Username').inputValue()).toBe('');
  await completeLogin(login, who);
}

/** Confirms the provider's sign-out page the library opened (RP-Initiated Logout), as the user would. */
async function confirmProviderSignOut(count: number): Promise<void> {
  const page = await browserPage(count);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/logout\?state=/);
}

/** Moves the library's clock past the active account's access token's expiry, so the next call refreshes. */
function expireAccessToken(): void {
  const expiresAt = h.app.auth.accessTokenExpiresAt;
  if (expiresAt === undefined) throw new Error('no access token in memory');
  clockAhead += expiresAt.getTime() - (Date.now() + clockAhead) + 1_000;
}

async function getPrivateMessage(): Promise<void> {
  await win.getByRole('button', { name: 'Get Private Message' }).click();
  await win.locator('#private-message-text').getByText(MESSAGE).waitFor();
}

describe('several accounts in the desktop app, end to end', () => {
  it('keeps the sessions in the OS keychain and the userData folder, not in memory', async () => {
    const vault = await openAppVault();
    expect(vault.persistent).toBe(true);
    expect(vault.kind).toMatch(/keychain|secret/i);
    expect(vault.entry).toBeTypeOf('function');
  });

  it('Alice signs in', async () => {
    win = await h.openWindow();
    await win.getByRole('button', { name: 'Sign in' }).click();
    await completeLogin(await browserPage(1), alice);
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(await win.locator('#account-name').textContent()).toBe('Alice Liddell');
    await expect.poll(() => menuButton().getAttribute('aria-label')).toBe('Accounts (Alice Liddell)');
  });

  it('"Add account" shows the provider\'s login page, not Alice again; Bob signs in and is active', async () => {
    await addAccount(bob);
    await win.getByRole('heading', { name: 'Hello, Bob' }).waitFor();
    expect(await win.locator('#account-name').textContent()).toBe('Bob Builder');
    expect(h.grants).toEqual(['authorization_code', 'authorization_code']);
    expect(h.app.auth.listAccounts().map((a) => [a.email, a.active, a.state])).toEqual([
      ['alice@example.com', false, 'signed-in'],
      ['bob@example.com', true, 'signed-in'],
    ]);
  });

  it('the switcher lists both: Alice to switch to, Add account, a sign-out for each', async () => {
    await openMenu();
    await expect
      .poll(menuItems)
      .toEqual([
        'Switch to Alice Liddell (alice@example.com)',
        'Add account',
        'Sign out of Bob Builder',
        'Sign out of Alice Liddell',
      ]);
    // Alice's picture, fetched by the main process, as a data URL.
    const picture = menu().getByRole('menuitem', { name: 'Switch to Alice' }).locator('img');
    expect(await picture.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await menuButton().getAttribute('aria-expanded')).toBe('true');
    await saveScreenshot(win, 'accounts-menu');
  });

  it('works with a keyboard: a menu button, arrow keys, Home, End and Escape', async () => {
    await win.keyboard.press('Escape');
    await menu().waitFor({ state: 'hidden' });
    await menuButton().focus();
    expect(await menuButton().getAttribute('aria-haspopup')).toBe('menu');
    expect(await menuButton().getAttribute('aria-expanded')).toBe('false');

    await win.keyboard.press('Enter');
    await menu().waitFor();
    expect(await focused()).toBe('Switch to Alice Liddell (alice@example.com)');
    await win.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Add account');
    await win.keyboard.press('End');
    expect(await focused()).toBe('Sign out of Alice Liddell');
    await win.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Switch to Alice Liddell (alice@example.com)');
    await win.keyboard.press('ArrowUp');
    expect(await focused()).toBe('Sign out of Alice Liddell');
    await win.keyboard.press('Home');
    expect(await focused()).toBe('Switch to Alice Liddell (alice@example.com)');
    // One tab stop: the items are reached with the arrow keys only.
    expect(
      await menu()
        .getByRole('menuitem')
        .evaluateAll((items) => items.map((i) => i.tabIndex)),
    ).toEqual([-1, -1, -1, -1]);

    await win.keyboard.press('Escape');
    await menu().waitFor({ state: 'hidden' });
    expect(await win.locator(':focus').getAttribute('id')).toBe('account-button');
    expect(await menuButton().getAttribute('aria-expanded')).toBe('false');

    await win.keyboard.press('ArrowUp');
    await menu().waitFor();
    expect(await focused()).toBe('Sign out of Alice Liddell');
    await win.keyboard.press('Escape');
    await menu().waitFor({ state: 'hidden' });
  });

  it("reads the private message with Bob's token", async () => {
    await getPrivateMessage();
    expect(lastApiSubject()).toBe('bob');
  });

  it("switches to Alice: her profile, her token, and nothing left of Bob's message", async () => {
    const opened = h.system.opened.length;
    await openMenu();
    await menu().getByRole('menuitem', { name: 'Switch to Alice' }).click();
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    await expect.poll(() => win.locator('#account-name').textContent()).toBe('Alice Liddell');
    expect(await win.locator('#private-message').isHidden()).toBe(true);
    expect(await focused()).toBe('Accounts (Alice Liddell)');
    await getPrivateMessage();
    expect(lastApiSubject()).toBe('alice');
    // Her session was in memory: no browser, no new sign-in.
    expect(h.system.opened).toHaveLength(opened);
    expect(h.grants).toEqual(['authorization_code', 'authorization_code']);
    await openMenu();
    expect(await menuItems()).toEqual([
      'Switch to Bob Builder (bob@example.com)',
      'Add account',
      'Sign out of Alice Liddell',
      'Sign out of Bob Builder',
    ]);
    await win.keyboard.press('Escape');
  });

  describe("from the attacker's side", () => {
    const accountVerbs = ['switchAccount', 'removeAccount'] as const;

    /** What must not change when a refused call is made. */
    function snapshot() {
      return {
        accounts: JSON.stringify(h.app.auth.listAccounts()),
        state: h.app.auth.state,
        opened: h.system.opened.length,
        grants: h.grants.length,
      };
    }

    it('odd arguments to the account verbs are refused with a code, and change nothing', async () => {
      const before = snapshot();
      const answers = await win.evaluate(async (verbs) => {
        const { auth } = globalThis as unknown as {
          auth: Record<string, (...args: unknown[]) => Promise<unknown>>;
        };
        const odd: unknown[] = [
          undefined,
          null,
          42,
          {},
          [],
          { id: 'x' },
          { toString: () => 'x' },
          '',
          '__proto__',
          'constructor',
          'prototype',
          'alice',
          'alice@example.com',
          '../../../etc/passwd',
          'A'.repeat(65),
          'A'.repeat(4 * 1024 * 1024),
          'AAAAAAAAAAAAAAAA',
        ];
        const out: Array<{ verb: string; arg: string; answer: unknown }> = [];
        for (const verb of verbs) {
          for (const arg of odd) {
            const answer = await auth[verb]!(arg);
            out.push({ verb, arg: typeof arg === 'string' ? arg.slice(0, 20) : String(arg), answer });
          }
        }
        return out;
      }, accountVerbs);
      for (const { verb, arg, answer } of answers) {
        expect(answer, `${verb}(${arg})`).toEqual({
          ok: false,
          error: {
            code: expect.stringMatching(/^ERR_(INVALID_ARGUMENTS|UNKNOWN_ACCOUNT)$/),
            message: expect.any(String),
          },
        });
      }
      // Only a well-formed id that no account has, or a name the library would take, gets as far as the list.
      const unknown = answers.filter(
        (a) => (a.answer as { error: { code: string } }).error.code === 'ERR_UNKNOWN_ACCOUNT',
      );
      expect(new Set(unknown.map((a) => a.arg))).toEqual(
        new Set(['__proto__', 'constructor', 'prototype', 'alice', 'AAAAAAAAAAAAAAAA']),
      );
      expect(snapshot()).toEqual(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a raw invoke with extra or polluting arguments is refused by the main process', async () => {
      const aliceId = accountIdOf('alice@example.com');
      await h.appContext.exposeBinding(
        '__rawAccountInvoke',
        async (source, channel: string, args: unknown[]) => {
          const handler = h.app.handlers[channel as typeof BRIDGE_CHANNELS.switchAccount];
          return handler(source.frame.url(), args);
        },
      );
      const page = await h.appContext.newPage();
      const before = snapshot();
      try {
        await page.goto(h.appUrl);
        const answers = await page.evaluate(
          async ({ channels, id }) => {
            const invoke = (
              globalThis as unknown as {
                __rawAccountInvoke: (c: string, a: unknown[]) => Promise<unknown>;
              }
            ).__rawAccountInvoke;
            const argLists: unknown[][] = [
              [id, { all: true }],
              [id, id],
              [{ id }],
              [[id]],
              [JSON.parse(`{"__proto__":{"polluted":true},"id":"${id}"}`)],
              [{ account: id, endProviderSession: false }],
            ];
            return Promise.all(channels.flatMap((channel) => argLists.map((args) => invoke(channel, args))));
          },
          { channels: [BRIDGE_CHANNELS.switchAccount, BRIDGE_CHANNELS.removeAccount], id: aliceId },
        );
        for (const answer of answers) {
          expect(answer).toEqual({
            ok: false,
            error: { code: 'ERR_INVALID_ARGUMENTS', message: expect.any(String) },
          });
        }
        expect(snapshot()).toEqual(before);
      } finally {
        await page.close();
      }
    });

    it('a page of another origin is refused by every account verb, and is pushed no list', async () => {
      const page = await h.appContext.newPage();
      const before = snapshot();
      const bobId = accountIdOf('bob@example.com');
      try {
        await page.goto(h.foreignUrl);
        await page.evaluate(() => {
          const scope = globalThis as unknown as {
            auth: { onAccounts(l: (a: unknown) => void): void };
            pushed: unknown[];
          };
          scope.pushed = [];
          scope.auth.onAccounts((accounts) => scope.pushed.push(accounts));
        });
        const answers = await page.evaluate(async (id) => {
          const { auth } = globalThis as unknown as {
            auth: Record<string, (...args: unknown[]) => Promise<unknown>>;
          };
          return [
            await auth.listAccounts!(),
            await auth.switchAccount!(id),
            await auth.removeAccount!(id),
            await auth.addAccount!(),
          ];
        }, bobId);
        for (const answer of answers) {
          expect(answer).toEqual({
            ok: false,
            error: { code: 'ERR_SENDER_REFUSED', message: expect.any(String) },
          });
        }
        expect(snapshot()).toEqual(before);

        // The app's own window changes the list (the active account): the foreign page hears nothing of it.
        const pushes = h.app.accountLists.length;
        await openMenu();
        await menu().getByRole('menuitem', { name: 'Switch to Bob' }).click();
        await win.getByRole('heading', { name: 'Hello, Bob' }).waitFor();
        await expect.poll(() => h.app.accountLists.length).toBeGreaterThan(pushes);
        await openMenu();
        await menu().getByRole('menuitem', { name: 'Switch to Alice' }).click();
        await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
        expect(await page.evaluate(() => (globalThis as unknown as { pushed: unknown[] }).pushed)).toEqual(
          [],
        );
      } finally {
        await page.close();
      }
    });

    it('no token and no sub in any list or answer the page got, nor anywhere it can reach', async () => {
      const lists = h.app.accountLists;
      expect(lists.length).toBeGreaterThan(0);
      for (const list of lists) {
        for (const account of list) {
          expect(Object.keys(account).sort()).toEqual(['active', 'email', 'id', 'name', 'picture', 'state']);
          expect(account.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
          // The subjects are 'alice' and 'bob': no field is one of them.
          expect(Object.values(account)).not.toContain('alice');
          expect(Object.values(account)).not.toContain('bob');
        }
      }
      const tokens = [...h.tokens.access, ...h.tokens.refresh, ...h.tokens.id];
      expect(tokens.length).toBeGreaterThan(5);
      const seen = JSON.stringify([lists, h.calls.map((c) => c.answer)]);
      const page = await win.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { outerHTML: string } } }).document
            .documentElement.outerHTML,
      );
      for (const token of tokens) {
        expect(seen).not.toContain(token);
        expect(page).not.toContain(token);
      }
    });
  });

  it('a restart keeps both accounts and the active one; Bob is signed in silently when switched to', async () => {
    const opened = h.system.opened.length;
    h.relaunch();
    await win.reload();
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(await h.app.restored).toBe('signed-in');
    expect(h.app.auth.listAccounts().map((a) => [a.email, a.active])).toEqual([
      ['alice@example.com', true],
      ['bob@example.com', false],
    ]);
    await openMenu();
    await expect.poll(menuItems).toContain('Switch to Bob Builder (bob@example.com)');

    const refreshes = h.grants.filter((g) => g === 'refresh_token').length;
    await menu().getByRole('menuitem', { name: 'Switch to Bob' }).click();
    await win.getByRole('heading', { name: 'Hello, Bob' }).waitFor();
    expect(h.grants.filter((g) => g === 'refresh_token').length).toBe(refreshes + 1);
    // The switch read "restoring" while Bob's stored session was renewed, never "signed out".
    expect(h.app.states).toEqual(['restoring', 'signed-in', 'restoring', 'signed-in']);
    await getPrivateMessage();
    expect(lastApiSubject()).toBe('bob');
    expect(h.system.opened).toHaveLength(opened);

    await openMenu();
    await menu().getByRole('menuitem', { name: 'Switch to Alice' }).click();
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
  });

  it('"Sign out of Bob" ends his session here and at the provider; Alice stays, and her refresh works', async () => {
    const opened = h.system.opened.length;
    const bobId = accountIdOf('bob@example.com');
    await openMenu();
    await menu().getByRole('menuitem', { name: 'Sign out of Bob Builder' }).click();
    await confirmProviderSignOut(opened + 1);
    await expect
      .poll(() => h.calls.findLast((c) => c.channel === BRIDGE_CHANNELS.removeAccount)?.answer)
      .toEqual({ ok: true, value: null });
    expect(h.app.auth.listAccounts().map((a) => a.email)).toEqual(['alice@example.com']);
    // His entry is gone from the keychain and the folder; hers is there.
    const vault = await openAppVault();
    expect(await vault.entry!(bobId).read()).toBeUndefined();
    expect(storedRefreshToken(await vault.entry!(accountIdOf('alice@example.com')).read())).toBeDefined();

    await openMenu();
    await expect.poll(menuItems).toEqual(['Add account', 'Sign out of Alice Liddell']);
    await win.keyboard.press('Escape');
    expect(await win.getByRole('heading', { name: 'Hello, Alice' }).isVisible()).toBe(true);
    expect(await win.locator('#account-error').isHidden()).toBe(true);

    const refreshes = h.grants.filter((g) => g === 'refresh_token').length;
    expireAccessToken();
    await getPrivateMessage();
    expect(h.grants.filter((g) => g === 'refresh_token').length).toBe(refreshes + 1);
    expect(lastApiSubject()).toBe('alice');
  });

  it("the provider refusing Bob's refresh (invalid_grant) signs Bob out only; Alice stays signed in", async () => {
    await addAccount(bob);
    await win.getByRole('heading', { name: 'Hello, Bob' }).waitFor();
    const bobId = accountIdOf('bob@example.com');

    // The provider revokes Bob's refresh token (RFC 7009), as an administrator or a password change would.
    const vault = await openAppVault();
    const refreshToken = storedRefreshToken(await vault.entry!(bobId).read());
    expect(refreshToken).toBeDefined();
    const discovery = (await (await fetch(`${stack.issuer}/.well-known/openid-configuration`)).json()) as {
      revocation_endpoint: string;
    };
    const revoked = await fetch(discovery.revocation_endpoint, {
      method: 'POST',
      body: new URLSearchParams({
        token: refreshToken!,
        token_type_hint: 'refresh_token',
        client_id: stack.config.clientId!,
      }),
    });
    expect(revoked.status).toBe(200);

    const grants = h.grants.length;
    expireAccessToken();
    await win.getByRole('button', { name: 'Get Private Message' }).click();
    // Bob's refresh was refused: he leaves the list, Alice takes over, and the page says so.
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    await win.locator('#account-error').getByText('You were signed out of Bob Builder.').waitFor();
    expect(h.grants.slice(grants)).toContain('refresh_token');
    expect(h.app.auth.listAccounts().map((a) => [a.email, a.active])).toEqual([['alice@example.com', true]]);
    expect(await vault.entry!(bobId).read()).toBeUndefined();
    // What was asked as Bob is not shown as Alice's.
    expect(await win.locator('#message-error').isHidden()).toBe(true);

    await getPrivateMessage();
    expect(lastApiSubject()).toBe('alice');
    expect(h.app.auth.state).toBe('signed-in');
  });

  it("when the active account's session is lost, the screen is signed out and the switcher still lists the other", async () => {
    await addAccount(bob);
    await win.getByRole('heading', { name: 'Hello, Bob' }).waitFor();
    // Bob's sealed session file goes missing (a restored backup, a cleaner) while the app is closed.
    const bobId = accountIdOf('bob@example.com');
    await rm(sealedVaultFiles(userData, `${keychain.account} #${bobId}`).session);

    h.relaunch();
    await win.reload();
    await win.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await h.app.restored).toBe('signed-out');
    await expect
      .poll(() => menuButton().getAttribute('aria-label'))
      .toBe('Accounts (Bob Builder, signed out)');
    await openMenu();
    await expect.poll(menuItems).toContain('Switch to Alice Liddell (alice@example.com)');
    await menu().getByRole('menuitem', { name: 'Switch to Alice' }).click();
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    await getPrivateMessage();
    expect(lastApiSubject()).toBe('alice');
    const shown: BridgeAccount[] | undefined = h.app.accountLists.at(-1);
    expect(shown?.map((a) => [a.email, a.active])).toEqual([
      ['alice@example.com', true],
      ['bob@example.com', false],
    ]);
  });
});
