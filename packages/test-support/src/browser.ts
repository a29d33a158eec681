import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

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
 * shown. Resolves once the browser has left the provider (the redirect back to
 * the app has started).
 */
export async function completeLogin(page: Page, { username, password }: DemoCredentials): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const consent = page.getByRole('button', { name: 'Allow' });
  const left = page.waitForURL((url) => !url.pathname.startsWith('/interaction/') && !url.pathname.startsWith('/auth'), {
    waitUntil: 'commit',
  });
  const shown = consent.waitFor({ state: 'visible' }).then(() => 'consent' as const);
  const outcome = await Promise.race([left.then(() => 'left' as const), shown]);
  if (outcome === 'consent') {
    await consent.click();
    await left;
  }
}
