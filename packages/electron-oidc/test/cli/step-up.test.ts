/**
 * `get` and step-up authentication (RFC 9470), the CLI spawned as a user runs
 * it: the API's `/private/sensitive` wants a one-time-code sign-in; the CLI
 * says so, opens `$BROWSER` (or prints the URL with `--no-browser`), and asks
 * once more after the user typed the password and the code.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { completeLogin, completeStepUp, launchBrowser } from '@electron-oidc/test-support';
import { JWT_SHAPED, NO_BUS_NOTE, startCliUser } from '@electron-oidc/test-support/cli';
import type { CliUser } from '@electron-oidc/test-support/cli';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

const alice = { username: 'alice', password: 'wonderland' };
const SENSITIVE = { message: 'Only recently verified users can read this sensitive message.' };
const SAYS_SO = 'The API needs a stronger or more recent sign-in for /private/sensitive';

/** The first URL a running CLI prints on stderr. */
function printedUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: string): void => {
      text += chunk;
      const url = /^ {2}(http\S+)$/m.exec(text)?.[1];
      if (url === undefined) return;
      child.stderr?.off('data', onData);
      resolve(url);
    };
    child.stderr?.on('data', onData);
    child.once('close', () => reject(new Error(`the CLI ended without printing a URL:\n${text}`)));
  });
}

describe.skipIf(NO_BUS_NOTE !== '')(`the CLI's get and step-up authentication${NO_BUS_NOTE}`, () => {
  let stack: LocalStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const users: CliUser[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
  });
  afterEach(async () => {
    await Promise.all(users.splice(0).map((user) => user.close()));
    await context?.close();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A user of their own (keychain entry, browser context), signed in with the password only. */
  async function signedInWithPassword(): Promise<CliUser> {
    context = await browser.newContext();
    page = await context.newPage();
    const { idp, api } = stack;
    const user = await startCliUser(
      {
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_API_AUDIENCE: idp.apiResource,
        OIDC_API_BASE_URL: api.url,
      },
      { service: `electron-oidc-test-${randomUUID()}`, account: 'cli-step-up' },
    );
    users.push(user);
    const login = user.run('login');
    await page.goto(await user.sink.next());
    await completeLogin(page, alice);
    expect((await login.result).code).toBe(0);
    return user;
  }

  it('get /private/sensitive says so, opens $BROWSER for password and code, retries once and prints the body', async () => {
    const user = await signedInWithPassword();
    const get = user.run('get', '/private/sensitive');
    const url = new URL(await user.sink.next());
    // RFC 9126: the acr_values went into the pushed request, not the launcher's command line.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    await page.goto(url.href);
    await completeStepUp(page, alice, (account) => stack.lastOneTimeCode(account));
    const r = await get.result;

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(SENSITIVE);
    expect(r.stderr).toContain(SAYS_SO);
    expect(r.stderr).toContain('Opening your browser to sign in again');
    expect(r.stdout + r.stderr).not.toMatch(JWT_SHAPED);

    // The stronger session was kept: the next run answers at once, with no browser.
    const again = await user.run('get', '/private/sensitive').result;
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(SENSITIVE);
    expect(again.stderr).toBe('');
  });

  it('--no-browser prints the URL instead of opening the browser, and finishes once the user has used it', async () => {
    const user = await signedInWithPassword();
    const get = user.run('get', '/private/sensitive', '--no-browser');
    const url = await printedUrl(get.child);
    await page.goto(url);
    await completeStepUp(page, alice, (account) => stack.lastOneTimeCode(account));
    const r = await get.result;

    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(SENSITIVE);
    expect(r.stderr).toContain(SAYS_SO);
    expect(r.stderr).toContain('To sign in again, open this URL in a browser on this machine');
  });

  it('get /private is not affected: a password sign-in still reads it, with no browser', async () => {
    const user = await signedInWithPassword();
    const r = await user.run('get', '/private').result;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
