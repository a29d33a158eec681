import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { finishInteraction, recordingLogger } from '@electron-oidc/test-support';
import type { DemoCredentials } from '@electron-oidc/test-support';
import type { JWK } from 'jose';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { createDesktopAuth } from '../../../src/core/desktop-auth.ts';
import type { DesktopAuth, DesktopAuthOptions } from '../../../src/core/desktop-auth.ts';
import type { FetchLike } from '../../../src/core/provider.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import type { LocalStack } from '../../support/local-stack.ts';

export const alice: DemoCredentials = { username: 'alice', password: 'wonderland' };

/** The provider's private signing key, to re-sign tampered ID tokens as the provider would. */
export async function providerSigningKey(stack: LocalStack): Promise<JWK> {
  const keys = JSON.parse(await readFile(path.join(stack.dataDir, 'keys.json'), 'utf8')) as {
    jwks: { keys: JWK[] };
  };
  const key = keys.jwks.keys[0];
  if (key === undefined) throw new Error('the provider has no signing key');
  return key;
}

/**
 * A fetch that counts requests by grant type at the token endpoint and lets a
 * test rewrite responses.
 */
export interface CountingFetch {
  fetch: FetchLike;
  grants: string[];
  /** The bodies of pushed authorization requests (RFC 9126 §2.1), in order. */
  pushed: URLSearchParams[];
  tamper: ((url: string, init: RequestInit, response: Response) => Promise<Response>) | undefined;
}

export function countingFetch(): CountingFetch {
  const counter: CountingFetch = {
    grants: [],
    pushed: [],
    tamper: undefined,
    fetch: async (url, init) => {
      const grant = init.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
      if (grant !== null) counter.grants.push(grant);
      if (init.body instanceof URLSearchParams && init.body.has('response_type'))
        counter.pushed.push(new URLSearchParams(init.body));
      const response = await fetch(url, init);
      return counter.tamper === undefined ? response : counter.tamper(url, init, response);
    },
  };
  return counter;
}

/**
 * The authorization request's parameters as the provider received them: from
 * the pushed request when the browser got a `request_uri` (RFC 9126 §4), else
 * from the URL itself.
 */
export function requestParameters(opened: URL, counter: CountingFetch): URLSearchParams {
  if (!opened.searchParams.has('request_uri')) return opened.searchParams;
  const pushed = counter.pushed.at(-1);
  if (pushed === undefined) throw new Error('the browser got a request_uri, but no request was pushed');
  return pushed;
}

/**
 * Plays the user's system browser: opens the URL in a Chromium page, notes
 * whether the provider showed its login page (`loginPageShown`, one entry per
 * URL) and, when it asks, signs in like a person would.
 */
export function browserOpener(page: Page, credentials: DemoCredentials = alice) {
  const opened: string[] = [];
  const loginPageShown: boolean[] = [];
  const navigations: Array<Promise<void>> = [];
  const open = async (url: string): Promise<void> => {
    opened.push(url);
    navigations.push(
      (async () => {
        await page.goto(url);
        const atInteraction = new URL(page.url()).pathname.startsWith('/interaction/');
        loginPageShown.push(atInteraction && (await page.getByLabel('Username').count()) > 0);
        await finishInteraction(page, credentials);
      })(),
    );
  };
  return { open, opened, loginPageShown, settled: () => Promise.all(navigations) };
}

/** A library instance wired to the stack. */
export function authFor(
  stack: LocalStack,
  options: Partial<DesktopAuthOptions> & { config?: Record<string, unknown> },
): DesktopAuth {
  return createDesktopAuth({
    logger: recordingLogger(),
    retrySchedule: [50],
    // Each instance its own session unless a test shares a vault on purpose.
    vault: new MemoryVault(),
    ...options,
    config: { ...stack.config, ...options.config },
  });
}

/** The stack's provider as a plain openid-client sees it: to act on the provider's side in a test. */
export function discoverDirectly(stack: LocalStack): Promise<client.Configuration> {
  return client.discovery(new URL(stack.idp.issuer), stack.idp.clientId, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
}
