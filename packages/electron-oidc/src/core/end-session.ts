import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { FORM_POST_PAGE_HEADERS, renderFormPostPage } from './sign-in/form-post-page.ts';
import { startLoopbackListener } from './sign-in/loopback-listener.ts';
import type { LoopbackListener, OneShotPage } from './sign-in/loopback-listener.ts';
import { waitWhileOpening } from './sign-in/sign-in.ts';
import type { BrowserOpener } from './system-browser.ts';

/** How long the end-session form page may be fetched after the browser is asked to open it. */
export const END_SESSION_PAGE_TTL_MS = 60_000;

/**
 * Builds the RP-initiated logout URL (OIDC RP-Initiated Logout 1.0 §2) with
 * `client_id` and, when a port is given, the loopback
 * `post_logout_redirect_uri`; never with `id_token_hint`, as a URL ends up on
 * a launcher's command line, in the browser's history and in terminal
 * output (DESIGN "The loopback listener and the machine's other users").
 * Without the hint, the provider asks the user to confirm (§2). `undefined`
 * when the provider has no `end_session_endpoint`.
 */
export function buildEndSessionUrl(
  provider: client.Configuration,
  config: AuthConfig,
  options: { postLogoutPort?: number | undefined },
): URL | undefined {
  if (provider.serverMetadata().end_session_endpoint === undefined) return undefined;
  const parameters: Record<string, string> = { client_id: config.clientId };
  if (options.postLogoutPort !== undefined) {
    parameters.post_logout_redirect_uri = `http://127.0.0.1:${options.postLogoutPort}${config.postLogoutRedirectPath}`;
  }
  return client.buildEndSessionUrl(provider, parameters);
}

/**
 * The one-shot loopback page that POSTs the logout request to the provider
 * (RP-Initiated Logout 1.0 §2 allows POST): `id_token_hint` travels in the
 * request body, never in a URL.
 */
function endSessionFormPage(
  endpoint: URL,
  fields: { clientId: string; idToken: string | undefined; state: string },
): OneShotPage {
  return {
    path: `/end-session/${client.randomState()}`,
    ttlMs: END_SESSION_PAGE_TTL_MS,
    render: (redirectUri) => ({
      headers: FORM_POST_PAGE_HEADERS,
      body: renderFormPostPage({
        title: 'Signing you out',
        message: 'Taking you to the sign-in provider to end your session there…',
        action: endpoint,
        button: 'Continue to sign out',
        fields: {
          client_id: fields.clientId,
          ...(fields.idToken === undefined ? {} : { id_token_hint: fields.idToken }),
          post_logout_redirect_uri: redirectUri,
          state: fields.state,
        },
      }),
    }),
  };
}

/** What {@link endSessionInBrowser} needs. */
export interface EndSessionInBrowserOptions {
  /** The provider's `end_session_endpoint`. */
  endpoint: URL;
  /** The ID token, as `id_token_hint`; posted, never put in a URL. */
  idToken: string | undefined;
  config: AuthConfig;
  openBrowser: BrowserOpener;
  logger: Logger;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Ends the provider's session in the browser: a short-lived loopback
 * listener serves a one-shot page that posts the logout form to the
 * provider, and receives the loopback `post_logout_redirect_uri` with the
 * `state` it sent. The browser is opened on the loopback page, so no token is
 * on a launcher's command line. Resolves true once the browser comes back,
 * false after `timeoutMs`; the listener is closed either way. Never rejects:
 * a listener that cannot start (fixed port busy) is false too.
 */
export async function endSessionInBrowser(options: EndSessionInBrowserOptions): Promise<boolean> {
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
      logger: options.logger,
      oneShotPage: endSessionFormPage(options.endpoint, {
        clientId: config.clientId,
        idToken: options.idToken,
        state,
      }),
    });
    const request = await waitWhileOpening(listener, options.openBrowser, listener.pageUrl!);
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
