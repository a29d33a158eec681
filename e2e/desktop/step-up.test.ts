/**
 * Step-up authentication (RFC 9470) in the desktop app, end to end: the real
 * renderer and preload in Chromium, the library and bridge in Node, the local
 * provider and the API. Alice signs in with her password; the sensitive
 * message is refused with "a stronger sign-in is needed" and a button; the
 * button signs her in again in the system browser (password and one-time
 * code), and the message shows. One story, in order.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeLogin, completeStepUp, launchBrowser } from '@electron-oidc/test-support';
import { ACR_OTP } from '@electron-oidc/dev-idp/acr';
import { BRIDGE_CHANNELS } from 'electron-oidc/bridge';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';
import { saveScreenshot, startDesktopHarness } from './harness.ts';
import type { DesktopHarness } from './harness.ts';

const alice = { username: 'alice', password: 'wonderland' };
const SENSITIVE = 'Only recently verified users can read this sensitive message.';

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

/** The system browser's page for the `count`th URL the library opened, once it has opened it. */
async function browserPage(count: number): Promise<Page> {
  await expect.poll(() => h.system.opened.length).toBe(count);
  return h.system.lastPage();
}

/** What the bridge answered on `channel`, as the page received it. */
function answers(channel: string): unknown[] {
  return h.calls.filter((call) => call.channel === channel).map((call) => call.answer);
}

describe('the desktop app: step-up to a one-time code for the sensitive message', () => {
  it('signs Alice in with her password', async () => {
    win = await h.openWindow();
    await win.getByRole('button', { name: 'Sign in' }).click();
    await win.getByRole('heading', { name: 'Waiting for you to sign in in your browser…' }).waitFor();
    await completeLogin(await browserPage(1), alice);
    await win.getByRole('heading', { name: 'Hello, Alice' }).waitFor();
    expect(await win.getByRole('button', { name: 'Get Sensitive Message' }).isVisible()).toBe(true);
  });

  it('refuses the sensitive message with "A stronger sign-in is needed" and a button, opening no browser', async () => {
    await win.getByRole('button', { name: 'Get Sensitive Message' }).click();
    const alert = win.getByRole('alert').filter({ hasText: 'A stronger sign-in is needed' });
    await alert.waitFor();
    expect((await alert.innerText()).split('\n')).toEqual([
      'A stronger sign-in is needed',
      expect.stringMatching(/^Sign in again to continue: .*stronger or more recent sign-in/),
    ]);
    expect(await win.getByRole('button', { name: 'Sign in again' }).isVisible()).toBe(true);
    expect(await win.locator('#private-message').isHidden()).toBe(true);
    expect(h.system.opened).toHaveLength(1);

    // The renderer got a code and a message: neither what the API asked for nor a token.
    const [refused] = answers(BRIDGE_CHANNELS.getSensitiveMessage);
    expect(refused).toEqual({
      ok: false,
      error: { code: 'ERR_STEP_UP_REQUIRED', message: expect.any(String) },
    });
    expect(JSON.stringify(refused)).not.toContain(ACR_OTP);
    expect(await win.content()).not.toContain(ACR_OTP);
    await saveScreenshot(win, 'step-up-needed');
  });

  it('the button signs her in again in the system browser (password and one-time code), then shows the message', async () => {
    await win.getByRole('button', { name: 'Sign in again' }).click();
    await win.getByRole('heading', { name: 'Waiting for you to sign in in your browser…' }).waitFor();
    const page = await browserPage(2);
    expect(new URL(h.system.opened[1]!).origin).toBe(stack.idp.issuer);
    await completeStepUp(page, alice, (account) => stack.lastOneTimeCode(account));

    await win.getByText(SENSITIVE).waitFor();
    expect(await win.locator('#private-message-text').textContent()).toBe(SENSITIVE);
    expect(await win.locator('#step-up-notice').isHidden()).toBe(true);
    expect(await win.locator('#account-name').textContent()).toBe('Alice Liddell');
    // The same window, signed in throughout but for the sign-in she started with the button.
    expect(h.app.states).toEqual(['signing-in', 'signed-in', 'signing-in', 'signed-in']);
    expect(
      h.calls.filter((call) => call.channel === BRIDGE_CHANNELS.getSensitiveMessage).map((call) => call.args),
    ).toEqual([[{ allowStepUp: false }], [{ allowStepUp: true }]]);
    await saveScreenshot(win, 'sensitive-message');
  });

  it('reads the sensitive message again without a sign-in: the stronger session was kept', async () => {
    await win.getByRole('button', { name: 'Get Sensitive Message' }).click();
    await win.getByText(SENSITIVE).waitFor();
    expect(h.system.opened).toHaveLength(2);
    expect(await win.locator('#step-up-notice').isHidden()).toBe(true);
  });

  it('attacker: a page of another origin cannot start a step-up sign-in', async () => {
    const page = await h.appContext.newPage();
    try {
      await page.goto(h.foreignUrl);
      const answer = await page.evaluate(() => {
        const { auth } = globalThis as unknown as {
          auth: { getSensitiveMessage(o: { allowStepUp: boolean }): Promise<unknown> };
        };
        return auth.getSensitiveMessage({ allowStepUp: true });
      });
      expect(answer).toEqual({
        ok: false,
        error: { code: 'ERR_SENDER_REFUSED', message: expect.any(String) },
      });
      expect(h.system.opened).toHaveLength(2);
    } finally {
      await page.close();
    }
  });

  it('never handed the renderer a token', () => {
    const tokens = [...h.tokens.access, ...h.tokens.refresh, ...h.tokens.id];
    const seen = JSON.stringify(h.calls.map((call) => call.answer));
    for (const token of tokens) expect(seen).not.toContain(token);
  });
});
