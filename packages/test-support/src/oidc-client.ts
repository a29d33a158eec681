import { createServer } from 'node:http';
import * as client from 'openid-client';
import type { BrowserContext } from 'playwright-core';
import { completeLogin } from './browser.ts';
import type { DemoCredentials } from './browser.ts';
import { closeServer, listenOnLoopback } from './loopback.ts';

/** What the tests need of a running provider. */
export interface ProviderInfo {
  issuer: string;
  clientId: string;
}

export const ALICE: DemoCredentials = { username: 'alice', password: 'wonderland' };
export const SCOPE = 'openid profile email offline_access read:messages';

/** The app's side: openid-client 6 as the public native client. */
export function discover(idp: ProviderInfo): Promise<client.Configuration> {
  return client.discovery(new URL(idp.issuer), idp.clientId, undefined, client.None(), {
    // The dev provider is plain http on loopback; openid-client refuses that unless told.
    execute: [client.allowInsecureRequests],
  });
}

/** A loopback listener standing in for the app's redirect target; it just says "done". */
export interface LoopbackTarget {
  origin: string;
  close(): Promise<void>;
}

export async function startLoopbackTarget(): Promise<LoopbackTarget> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('done');
  });
  const { origin } = await listenOnLoopback(server);
  return { origin, close: () => closeServer(server) };
}

export interface AuthorizationRequest {
  url: URL;
  redirectUri: string;
  pkceCodeVerifier: string;
  expectedState: string;
  expectedNonce: string;
}

export async function buildAuthorizationRequest(
  config: client.Configuration,
  redirectUri: string,
  scope = SCOPE,
): Promise<AuthorizationRequest> {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
  });
  return { url, redirectUri, pkceCodeVerifier, expectedState, expectedNonce };
}

/**
 * The whole sign-in: the browser goes to the provider, a person signs in (and
 * consents), the provider redirects to the loopback target, and the app
 * exchanges the code. The provider session stays in `context`.
 */
export async function signIn(
  context: BrowserContext,
  config: client.Configuration,
  target: LoopbackTarget,
  credentials: DemoCredentials = ALICE,
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  const request = await buildAuthorizationRequest(config, `${target.origin}/callback`);
  const page = await context.newPage();
  try {
    await page.goto(request.url.href);
    await completeLogin(page, credentials);
    await page.waitForURL((url) => url.origin === target.origin);
    return await client.authorizationCodeGrant(config, new URL(page.url()), request);
  } finally {
    await page.close();
  }
}
