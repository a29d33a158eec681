import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';

/** Debian's Chromium; override with CHROMIUM_PATH. */
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launches the real Chromium that plays the user's system browser in tests.
 * The flags keep it from reaching for Google's services, which this machine
 * cannot reach (they would only add noise and delay).
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface DemoCredentials {
  username: string;
  password: string;
}

/**
 * Signs in on the local provider's login page the way a person would, by the
 * labels a screen reader announces, and approves the consent page if one is
 * shown. Call it once the page shows the login form (after navigating to the
 * authorization URL). Resolves once the browser has left the provider (the
 * redirect back to the app has started).
 */
export async function completeLogin(page: Page, { username, password }: DemoCredentials): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const left = page.waitForURL(
    (url) => !url.pathname.startsWith('/interaction/') && !url.pathname.startsWith('/auth'),
    { waitUntil: 'commit' },
  );
  await clickIfShownBefore(page.getByRole('button', { name: 'Allow' }), left);
}

/**
 * Completes whatever the local provider shows: the login page (then consent),
 * or only the consent page when it still knows the user, or nothing (the
 * browser went straight back to the app).
 */
export async function finishInteraction(page: Page, credentials: DemoCredentials): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith('/interaction/')) return;
  if ((await page.getByLabel('Username').count()) > 0) {
    await completeLogin(page, credentials);
    return;
  }
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/interaction/') && !u.pathname.startsWith('/auth'), {
    waitUntil: 'commit',
  });
}

/**
 * Confirms sign-out on the local provider's end-session page, if it asks
 * (it does when the browser has a session there). Call it after navigating to
 * the end-session URL. Resolves once the browser has reached the
 * post-logout redirect URI, or the provider's own "Signed out" page when the
 * request named none.
 */
export async function completeLogout(page: Page): Promise<void> {
  const left = page.waitForURL(
    (url) => !url.pathname.startsWith('/session/end') || url.pathname === '/session/end/success',
    { waitUntil: 'commit' },
  );
  await clickIfShownBefore(page.getByRole('button', { name: 'Sign out' }), left);
}

/** Clicks `button` if it appears before `done` settles, then waits for `done`. */
async function clickIfShownBefore(button: Locator, done: Promise<void>): Promise<void> {
  // A button that never appears makes waitFor reject when the page closes; that
  // outcome is expected, not an error.
  const shown = button.waitFor({ state: 'visible' }).then(
    () => 'shown' as const,
    () => 'never' as const,
  );
  const outcome = await Promise.race([done.then(() => 'done' as const), shown]);
  if (outcome === 'shown') await button.click();
  await done;
}

/**
 * A step-up sign-in on the local provider (RFC 9470, `acr_values` with
 * ACR_OTP), as a person does it: the password page, then "Enter your
 * one-time code" with the code the provider issued (`codeOf`, e.g. the local
 * stack's `lastOneTimeCode`), then consent if asked. Call it once the page
 * has navigated to the authorization URL. Resolves once the browser has left
 * the provider.
 */
export async function completeStepUp(
  page: Page,
  { username, password }: DemoCredentials,
  codeOf: (account: string) => string | undefined,
): Promise<void> {
  const left = page.waitForURL(
    (url) => !url.pathname.startsWith('/interaction/') && !url.pathname.startsWith('/auth'),
    { waitUntil: 'commit' },
  );
  const codeField = page.getByLabel('One-time code');
  if ((await page.getByLabel('Password').count()) > 0) {
    if ((await page.getByLabel('Username').count()) > 0) await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await codeField.waitFor();
  const code = codeOf(username);
  if (code === undefined) throw new Error(`The provider issued no one-time code to ${username}.`);
  await codeField.fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await clickIfShownBefore(page.getByRole('button', { name: 'Allow' }), left);
}
