/**
 * The desktop app against both provider profiles: the real renderer in Chromium, the real
 * preload and bridge handlers, the library in this process. Sign in in the system
 * browser, show Alice with her picture (fetched by the main process, wherever the profile
 * came from), get the private message, relaunch and restore silently, log out at the
 * provider too.
 */
import { completeLogin, launchBrowser } from '@electron-oidc/test-support';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDesktopHarness } from '../desktop/harness.ts';
import type { DesktopHarness } from '../desktop/harness.ts';
import { PROFILES, startProfile } from './support/profiles.ts';
import type { ProfileStack } from './support/profiles.ts';

const alice = { username: 'alice', password: 'wonderland' };
const MESSAGE = 'Only authenticated users can read this message.';

describe.each(PROFILES)('the desktop app against the %s provider profile', (profileName) => {
  let stack: ProfileStack;
  let browser: Browser;
  let h: DesktopHarness;
  let win: Page;
  let refreshTokenAtSignIn: string;
  const storedRefreshToken = () => (JSON.parse(h.vault.value!) as { refresh_token: string }).refresh_token;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startProfile(profileName), launchBrowser()]);
    h = await startDesktopHarness({ config: stack.config, browser });
  });
  afterAll(async () => {
    await h?.close();
    await browser?.close();
    await stack?.close();
  });

  it('signs in in the system browser and shows Alice with her name and picture', async () => {
    win = await h.openWindow();
    await win.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => h.system.opened.length).toBe(1);
    expect(new URL(h.system.opened[0]!).origin).toBe(new URL(stack.issuer).origin);
    await completeLogin(await h.system.lastPage(), alice);

    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(await win.locator('#account-name').textContent()).toBe('Alice Liddell');
    const picture = win.locator('#account-picture');
    await picture.waitFor({ state: 'visible' });
    expect(await picture.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(h.grants).toEqual(['authorization_code']);
    refreshTokenAtSignIn = storedRefreshToken();
  });

  it('shows the private message the API returns', async () => {
    await win.getByRole('button', { name: 'Get Private Message' }).click();
    await win.getByText(MESSAGE).waitFor();
    expect(await win.locator('#private-message-text').textContent()).toBe(MESSAGE);
  });

  it('after a restart, restores the session with one refresh grant and shows Alice again', async () => {
    const openedBefore = h.system.opened.length;
    h.relaunch();
    await win.reload();
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(await h.app.restored).toBe('signed-in');
    expect(h.grants).toEqual(['authorization_code', 'refresh_token']);
    expect(h.system.opened).toHaveLength(openedBefore);
    expect(await win.locator('#account-name').textContent()).toBe('Alice Liddell');
    await win.locator('#account-picture').waitFor({ state: 'visible' });
    expect(storedRefreshToken() !== refreshTokenAtSignIn).toBe(stack.traits.rotatesRefreshTokens);
    await win.getByRole('button', { name: 'Get Private Message' }).click();
    await win.getByText(MESSAGE).waitFor();
  });

  it('Logout empties the vault and ends the provider session: the next sign-in asks for the password', async () => {
    const openedBefore = h.system.opened.length;
    await win.getByRole('button', { name: 'Logout' }).click();
    await win.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(h.vault.value).toBeUndefined();

    await expect.poll(() => h.system.opened.length).toBe(openedBefore + 1);
    const endSession = await h.system.lastPage();
    await endSession.getByRole('button', { name: 'Sign out' }).click();
    await endSession.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/logout\?/);
    expect(await endSession.textContent('h1')).toBe('You are signed out');

    await win.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => h.system.opened.length).toBe(openedBefore + 2);
    await (await h.system.lastPage()).getByLabel('Password').waitFor();
    await win.getByRole('button', { name: 'Cancel' }).click();
    await win.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
