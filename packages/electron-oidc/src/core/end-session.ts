import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { startLoopbackListener } from './sign-in/loopback-listener.ts';
import type { LoopbackListener } from './sign-in/loopback-listener.ts';
import { waitWhileOpening } from './sign-in/sign-in.ts';
import type { BrowserOpener } from './system-browser.ts';

/**
 * Builds the RP-initiated logout URL (OIDC RP-Initiated Logout 1.0 §2) with
 * `id_token_hint`, `client_id` and, when a port is given, the loopback
 * `post_logout_redirect_uri`. `undefined` when the provider has no
 * `end_session_endpoint`.
 */
export function buildEndSessionUrl(
  provider: client.Configuration,
  config: AuthConfig,
  options: { idToken?: string | undefined; postLogoutPort?: number | undefined },
): URL | undefined {
  if (provider.serverMetadata().end_session_endpoint === undefined) return undefined;
  const parameters: Record<string, string> = { client_id: config.clientId };
  if (options.idToken !== undefined) parameters.id_token_hint = options.idToken;
  if (options.postLogoutPort !== undefined) {
    parameters.post_logout_redirect_uri = `http://127.0.0.1:${options.postLogoutPort}${config.postLogoutRedirectPath}`;
  }
  return client.buildEndSessionUrl(provider, parameters);
}

/**
 * Opens the end-session URL in the browser with a loopback
 * `post_logout_redirect_uri` served by a short-lived listener, and resolves
 * once the browser comes back (true) or after `timeoutMs` (false). The
 * listener is closed either way. Never rejects: a listener that cannot start
 * (fixed port busy) is false too.
 */
export async function endSessionInBrowser(options: {
  endSessionUrl: URL;
  config: AuthConfig;
  openBrowser: BrowserOpener;
  logger: Logger;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}): Promise<boolean> {
  const { config } = options;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  // RP-Initiated Logout §2 `state`: only the provider's redirect is answered as ours.
  const state = client.randomState();
  let listener: LoopbackListener | undefined;
  try {
    // Inside the try: the local sign-out has already happened, so a busy fixed
    // port only means the provider's session is not ended (false), never a rejection.
    listener = await startLoopbackListener({
      path: config.postLogoutRedirectPath,
      expectedState: state,
      signal,
      port: config.redirectPort,
    });
    const url = new URL(options.endSessionUrl);
    url.searchParams.set('post_logout_redirect_uri', listener.redirectUri);
    url.searchParams.set('state', state);
    const request = await waitWhileOpening(listener, options.openBrowser, url.href);
    request.respond({ ok: true, title: 'You are signed out', message: 'You can close this tab.' });
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (listener === undefined) {
      options.logger.warn(
        `You are signed out of the app, but the provider's session was not ended: ${reason}`,
      );
    } else {
      options.logger.info(`The browser did not return from the provider's sign-out page (${reason}).`);
    }
    return false;
  } finally {
    await listener?.close();
  }
}
