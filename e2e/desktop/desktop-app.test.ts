/**
 * The desktop app end to end, without Electron's binary: the real library and
 * bridge handlers in Node, the real preload over a test transport, the real
 * renderer in Chromium, the local provider and the API. One story in order
 * (sign in, call the API, restart, sign out), then the attacker's side.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeLogin, launchBrowser } from '@electron-oidc/test-support';
import { BRIDGE_CHANNELS } from 'electron-oidc/bridge';
import { APP_CONTENT_SECURITY_POLICY } from 'electron-oidc/app-files';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';
import { saveScreenshot, startDesktopHarness } from './harness.ts';
import type { DesktopHarness } from './harness.ts';

const alice = { username: 'alice', password: 'wonderland' };
const MESSAGE = 'Only authenticated users can read this message.';

let stack: LocalStack;
let browser: Browser;
let h: DesktopHarness;
let win: Page;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
  h = await startDesktopHarness({ config: stack.config, browser });
});

afterAll(async () => {
  await h?.close();
  await browser?.close();
  await stack?.close();
});

/** Saves docs/screenshots/<name>.png (see the harness's {@link saveScreenshot}). */
const screenshot = (name: string): Promise<void> => saveScreenshot(win, name);

function allTokens(): string[] {
  return [...h.tokens.access, ...h.tokens.refresh, ...h.tokens.id];
}

/** The parts of the browser's globals the probes use (the e2e project has no DOM types). */
interface PageScope {
  document: { documentElement: { outerHTML: string; innerText: string } };
  localStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null };
  sessionStorage: PageScope['localStorage'];
  indexedDB: { databases(): Promise<Array<{ name?: string }>> };
  caches: { keys(): Promise<string[]> };
}

/** Everything the page can reach: its globals (walked), storage, IndexedDB, caches and DOM. */
async function pageReach(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const scope = globalThis as unknown as PageScope & Record<string, unknown>;
    const strings: string[] = [];
    const seen = new Set<unknown>();
    const walk = (value: unknown, depth: number): void => {
      if (typeof value === 'string') strings.push(value);
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
      if (seen.has(value) || depth > 4) return;
      seen.add(value);
      let names: string[];
      try {
        names = Object.getOwnPropertyNames(value);
      } catch {
        return;
      }
      for (const name of names) {
        strings.push(name);
        try {
          walk((value as Record<string, unknown>)[name], depth + 1);
        } catch {
          // getters that throw
        }
      }
    };
    for (const name of Object.getOwnPropertyNames(globalThis)) {
      strings.push(name);
      try {
        walk(scope[name], 0);
      } catch {
        // ignore
      }
    }
    for (const storage of [scope.localStorage, scope.sessionStorage]) {
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i) ?? '';
        strings.push(key, storage.getItem(key) ?? '');
      }
    }
    strings.push(JSON.stringify(await scope.indexedDB.databases()));
    strings.push(JSON.stringify(await scope.caches.keys()));
    strings.push(scope.document.documentElement.outerHTML, scope.document.documentElement.innerText);
    return strings.join('\n');
  });
}

describe('the desktop app, end to end', () => {
  it('opens on the signed-out screen, served with the CSP', async () => {
    const response = await fetch(h.appUrl);
    expect(response.headers.get('content-security-policy')).toBe(APP_CONTENT_SECURITY_POLICY);
    await response.body?.cancel();

    win = await h.openWindow();
    await expect.poll(() => win.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await win.getByRole('heading', { level: 1 }).textContent()).toBe('Welcome');
    expect(await win.locator('#account').isHidden()).toBe(true);
    await screenshot('signed-out');
  });

  it('shows the waiting screen while the user signs in in the browser, then Alice with her picture', async () => {
    await win.getByRole('button', { name: 'Sign in' }).click();
    const waiting = win.getByRole('heading', { name: 'Waiting for you to sign in in your browser…' });
    await waiting.waitFor();
    expect(await win.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(true);
    expect(await win.getByRole('status').textContent()).toBe('Waiting for you to sign in in your browser.');
    await screenshot('waiting');

    // The system browser, not the app's window, shows the provider's login page: opened once the
    // request is pushed, which may come after the waiting screen.
    await expect.poll(() => h.system.opened.length).toBe(1);
    expect(new URL(h.system.opened[0]!).origin).toBe(stack.idp.issuer);
    expect(win.url()).toBe(h.appUrl);
    await completeLogin(await h.system.lastPage(), alice);

    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(
      await win.getByText('You successfully used OpenID Connect and OAuth 2.0 to authenticate.').isVisible(),
    ).toBe(true);
    expect(await win.locator('#account-name').textContent()).toBe('Alice Liddell');
    expect(await win.getByRole('button', { name: 'Logout' }).isVisible()).toBe(true);
    const picture = win.locator('#account-picture');
    await picture.waitFor({ state: 'visible' });
    expect(await picture.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    // The image decoded (a data URL the CSP allows), so the user sees her avatar.
    expect(
      await picture.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
    expect(h.app.states).toEqual(['signing-in', 'signed-in']);
  });

  it('is usable with a keyboard and a screen reader: landmarks, focus on the new screen, a live status', async () => {
    expect(await win.getByRole('banner').count()).toBe(1);
    expect(await win.getByRole('main').count()).toBe(1);
    expect(await win.getByRole('group', { name: 'Account' }).isVisible()).toBe(true);
    expect(await win.getByRole('status').getAttribute('aria-live')).toBe('polite');
    expect(await win.getByRole('status').textContent()).toBe('You are signed in.');
    // Focus moved to the heading of the screen that replaced the waiting one.
    expect(await win.locator(':focus').getAttribute('id')).toBe('signed-in-title');
    // The avatar is decorative: the name next to it says who is signed in.
    expect(await win.locator('#account-picture').getAttribute('alt')).toBe('');
    await win.keyboard.press('Tab');
    expect((await win.locator(':focus').textContent())?.trim()).toBe('Get Private Message');
  });

  it('shows the private message the API returns for Alice', async () => {
    await win.getByRole('button', { name: 'Get Private Message' }).click();
    await win.getByText(MESSAGE).waitFor();
    expect(await win.locator('#private-message-text').textContent()).toBe(MESSAGE);
    await screenshot('signed-in');
  });

  it('fits a narrow window without sideways scrolling, and a wide one', async () => {
    for (const width of [360, 1440]) {
      await win.setViewportSize({ width, height: 720 });
      const fits = await win.evaluate(() => {
        const { document, innerWidth } = globalThis as unknown as {
          document: { documentElement: { scrollWidth: number } };
          innerWidth: number;
        };
        return document.documentElement.scrollWidth <= innerWidth;
      });
      expect(fits, `at ${width}px`).toBe(true);
      expect(await win.getByRole('button', { name: 'Logout' }).isVisible()).toBe(true);
      expect(await win.getByRole('button', { name: 'Get Private Message' }).isVisible()).toBe(true);
    }
    await win.setViewportSize({ width: 960, height: 680 });
  });

  it('made no network request of its own: only the app files (the picture came as a data URL)', async () => {
    const requests = h.windowRequests.get(win) ?? [];
    const elsewhere = requests.filter(
      (url) => !url.startsWith('data:') && new URL(url).origin !== h.appOrigin,
    );
    expect(elsewhere).toEqual([]);
    expect(requests.map((url) => new URL(url).pathname).sort()).toEqual(['/', '/app.js', '/styles.css']);
  });

  it('signs in silently after a restart (new library instance, same vault)', async () => {
    expect(h.vault.value).toBeDefined();
    const openedBefore = h.system.opened.length;
    h.relaunch();
    await win.reload();
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(await win.locator('#account-name').textContent()).toBe('Alice Liddell');
    expect(h.system.opened).toHaveLength(openedBefore);
    expect(await h.app.restored).toBe('signed-in');
    // A silent restore is not a wait for the user: the bridge calls it "restoring", never "signing-in".
    expect(h.app.states).toEqual(['restoring', 'signed-in']);
    await win.getByRole('button', { name: 'Get Private Message' }).click();
    await win.getByText(MESSAGE).waitFor();
  });

  describe("from the attacker's side", () => {
    it('no token is anywhere the page can reach: globals, storage, IndexedDB, caches, DOM', async () => {
      expect(h.tokens.access.size).toBeGreaterThan(0);
      expect(h.tokens.refresh.size).toBeGreaterThan(0);
      expect(h.tokens.id.size).toBeGreaterThan(0);
      const reach = await pageReach(win);
      expect(reach).toContain('Alice Liddell'); // the probe does see the page
      for (const token of allTokens()) expect(reach).not.toContain(token);
      expect(h.vault.value && reach.includes(h.vault.value)).toBeFalsy();
    });

    it('no token is in the cookies of the app window', async () => {
      const cookies = JSON.stringify(await h.appContext.cookies());
      for (const token of allTokens()) expect(cookies).not.toContain(token);
    });

    it('no token is in anything any bridge verb answered', async () => {
      const calledChannels = new Set(h.calls.map((c) => c.channel));
      expect(calledChannels).toEqual(
        new Set([
          BRIDGE_CHANNELS.getSessionState,
          BRIDGE_CHANNELS.listAccounts,
          BRIDGE_CHANNELS.signIn,
          BRIDGE_CHANNELS.getProfile,
          BRIDGE_CHANNELS.getPrivateMessage,
        ]),
      );
      // Call the remaining verbs too (their answers are harmless now) so every verb's answer is scanned.
      await win.evaluate(async () => {
        const { auth } = globalThis as unknown as { auth: Record<string, () => Promise<unknown>> };
        await auth.renewSession!();
        await auth.cancelSignIn!();
      });
      const answers = JSON.stringify(h.calls.map((c) => c.answer));
      for (const token of allTokens()) expect(answers).not.toContain(token);
      expect(answers).not.toContain(h.vault.value);
    });

    it('the page has no ipcRenderer, no IPC binding and no generic invoke; window.auth is frozen verbs', async () => {
      const surface = await win.evaluate(() => {
        const scope = globalThis as unknown as Record<string, unknown>;
        const auth = scope.auth as Record<string, unknown>;
        return {
          ipcRenderer: typeof scope.ipcRenderer,
          require: typeof scope.require,
          process: typeof scope.process,
          invokeBinding: typeof scope.__electronIpcInvoke,
          pullBinding: typeof scope.__electronIpcPull,
          verbs: Object.keys(auth).sort(),
          frozen: Object.isFrozen(auth),
          replaced: (() => {
            try {
              scope.auth = { signIn: () => 'hijacked' };
            } catch {
              // strict-mode assignment to a read-only global throws
            }
            return scope.auth !== auth;
          })(),
        };
      });
      expect(surface).toEqual({
        ipcRenderer: 'undefined',
        require: 'undefined',
        process: 'undefined',
        invokeBinding: 'undefined',
        pullBinding: 'undefined',
        verbs: [
          'addAccount',
          'cancelSignIn',
          'getPrivateMessage',
          'getProfile',
          'getSensitiveMessage',
          'getSessionState',
          'listAccounts',
          'onAccounts',
          'onSessionState',
          'removeAccount',
          'renewSession',
          'signIn',
          'signOut',
          'switchAccount',
        ],
        frozen: true,
        replaced: false,
      });
    });

    it('the CSP keeps the page off the network, even the API', async () => {
      const outcome = await win.evaluate(async (url) => {
        try {
          await fetch(url);
          return 'fetched';
        } catch (err) {
          return (err as Error).name;
        }
      }, `${stack.api.url}/public`);
      expect(outcome).toBe('TypeError');
    });

    it('a page of another origin with the same preload and binding is refused by every verb', async () => {
      const page = await h.appContext.newPage();
      try {
        await page.goto(h.foreignUrl);
        const before = h.app.auth.state;
        const answers = await page.evaluate(async () => {
          const { auth } = globalThis as unknown as { auth: Record<string, () => Promise<unknown>> };
          const verbs = [
            'getProfile',
            'getPrivateMessage',
            'getSensitiveMessage',
            'getSessionState',
            'renewSession',
            'signIn',
            'signOut',
          ];
          return Promise.all(verbs.map((verb) => auth[verb]!()));
        });
        for (const answer of answers) {
          expect(answer).toEqual({
            ok: false,
            error: { code: 'ERR_SENDER_REFUSED', message: expect.any(String) },
          });
        }
        // Nothing happened: still signed in, no browser opened, nothing pushed to the foreign page.
        expect(h.app.auth.state).toBe(before);
        expect(h.calls.filter((c) => c.senderUrl === h.foreignUrl)).toHaveLength(answers.length);
      } finally {
        await page.close();
      }
    });

    it('a call that carries arguments is refused by the main process, even from the app', async () => {
      // The preload drops arguments; this plays a renderer that got hold of a raw invoke anyway.
      await h.appContext.exposeBinding(
        '__compromisedInvoke',
        async (source, channel: string, args: unknown[]) => {
          const handler = h.app.handlers[channel as typeof BRIDGE_CHANNELS.getProfile];
          return handler(source.frame.url(), args);
        },
      );
      const page = await h.appContext.newPage();
      try {
        await page.goto(h.appUrl);
        const answers = await page.evaluate(async (channels) => {
          const invoke = (
            globalThis as unknown as { __compromisedInvoke: (c: string, a: unknown[]) => Promise<unknown> }
          ).__compromisedInvoke;
          return Promise.all(channels.map((channel) => invoke(channel, [{ url: 'javascript:alert(1)' }])));
        }, Object.values(BRIDGE_CHANNELS));
        for (const answer of answers) {
          expect(answer).toEqual({
            ok: false,
            error: { code: 'ERR_INVALID_ARGUMENTS', message: expect.any(String) },
          });
        }
        // And the preload's own verbs ignore what the page passes.
        const viaPreload = await page.evaluate(async () => {
          const { auth } = globalThis as unknown as {
            auth: { getSessionState(...a: unknown[]): Promise<unknown> };
          };
          return auth.getSessionState('injected');
        });
        expect(viaPreload).toEqual({ ok: true, value: 'signed-in' });
      } finally {
        await page.close();
      }
    });
  });

  it('keeps the session while the provider is unreachable, shows offline with Retry, and recovers', async () => {
    await stack.stopIdp();
    h.relaunch();
    await win.reload();
    await win.getByRole('heading', { name: 'You are offline' }).waitFor();
    expect(h.vault.value).toBeDefined();
    await win.getByRole('button', { name: 'Logout' }).waitFor();
    await screenshot('offline');

    await win.getByRole('button', { name: 'Retry' }).click();
    await win.locator('#retry-error').waitFor();
    expect(await win.locator('#retry-error').textContent()).toMatch(/cannot be reached/);
    expect(await win.getByRole('heading', { name: 'You are offline' }).isVisible()).toBe(true);

    await stack.restartIdp();
    await win.getByRole('button', { name: 'Retry' }).click();
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(h.app.auth.state).toBe('signed-in');
  });

  it('Logout returns to the signed-out screen, ends the provider session and empties the vault', async () => {
    const openedBefore = h.system.opened.length;
    await win.getByRole('button', { name: 'Logout' }).click();
    await win.getByRole('button', { name: 'Sign in' }).waitFor();
    // No account is left to list, so no switcher either.
    await win.locator('#account').waitFor({ state: 'hidden' });
    expect(h.vault.value).toBeUndefined();

    // The system browser opens the library's one-shot loopback page (no ID token in its URL),
    // which posts the logout form to the provider; the user confirms there.
    await expect.poll(() => h.system.opened.length).toBe(openedBefore + 1);
    const opened = h.system.opened.at(-1)!;
    expect(opened).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/end-session\/[\w-]+$/);
    expect(opened).not.toMatch(/eyJ[\w-]*\.[\w-]+\.[\w-]+/);
    const page = await h.system.lastPage();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/logout\?state=/);
    await expect
      .poll(() => h.calls.some((c) => c.channel === BRIDGE_CHANNELS.signOut && c.senderUrl === h.appUrl))
      .toBe(true);
    expect(h.calls.findLast((c) => c.channel === BRIDGE_CHANNELS.signOut)?.answer).toEqual({
      ok: true,
      value: null,
    });

    // Signed out at the provider too: the next sign-in asks for the password again.
    await win.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => h.system.opened.length).toBe(openedBefore + 2);
    const login = await h.system.lastPage();
    await login.getByLabel('Password').waitFor();
    await win.getByRole('button', { name: 'Cancel' }).click();
    await win.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await win.locator('#sign-in-error').isHidden()).toBe(true);
  });
});
