import type { DemoCredentials } from '@electron-oidc/test-support';
import type { Page } from 'playwright-core';

/** Where the browser is once it has left the provider's pages (the redirect back has started). */
function leftProvider(page: Page): Promise<void> {
  return page.waitForURL(
    (url) => !url.pathname.startsWith('/interaction/') && !url.pathname.startsWith('/auth'),
    { waitUntil: 'commit' },
  );
}

/**
 * A step-up sign-in on the local provider, as a person does it (RFC 9470,
 * `acr_values` = ACR_OTP): the password page, then "Enter your one-time
 * code" with the code the provider issued (`codeOf`, e.g. the stack's
 * `lastOneTimeCode`), then consent if asked. Call it once the page has
 * navigated to the authorization URL.
 */
export async function completeStepUp(
  page: Page,
  { username, password }: DemoCredentials,
  codeOf: (account: string) => string | undefined,
): Promise<void> {
  const left = leftProvider(page);
  const codeField = page.getByLabel('One-time code');
  if ((await page.getByLabel('Password').count()) > 0) {
    if ((await page.getByLabel('Username').count()) > 0) await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await codeField.waitFor();
  const code = codeOf(username);
  if (code === undefined) throw new Error(`the provider issued no one-time code to ${username}`);
  await codeField.fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  const allow = page.getByRole('button', { name: 'Allow' });
  const outcome = await Promise.race([
    left.then(() => 'left' as const),
    allow.waitFor({ state: 'visible' }).then(
      () => 'consent' as const,
      () => 'left' as const,
    ),
  ]);
  if (outcome === 'consent') await allow.click();
  await left;
}
