/**
 * RP-Initiated Logout 1.0: only the registered post_logout_redirect_uri is followed (§2),
 * an `id_token_hint` must be this provider's ID token for this client (expired or not),
 * and a browser with a session confirms on a page whose form is bound to that session.
 */
import express from 'express';
import type { Request, Response } from 'express';
import { compactVerify, decodeJwt } from 'jose';
import { errorPage, html, renderDocument } from '@electron-oidc/dev-idp/pages';
import { cookieOf, same, sendPage, SESSION_COOKIE, sessionOf, stringParam } from './http.ts';
import type { ProviderContext } from './types.ts';

function sendRedirectNotAllowed(res: Response): void {
  sendPage(
    res,
    400,
    errorPage('Sign-out redirect not allowed', 'post_logout_redirect_uri is not registered.'),
  );
}

/** An expired hint is still a hint (RP-Initiated Logout §2): signature, issuer and audience only. */
async function isOwnIdToken(ctx: ProviderContext, hint: string): Promise<boolean> {
  try {
    await compactVerify(hint, ctx.key.publicKey);
    const claims = decodeJwt(hint);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    return claims.iss === ctx.issuer && audiences.includes(ctx.clientId);
  } catch {
    return false;
  }
}

function finishLogout(res: Response, target: string | undefined, state: string | undefined): void {
  if (target === undefined) {
    res.redirect(303, '/session/end/success');
    return;
  }
  const url = new URL(target);
  if (state !== undefined) url.searchParams.set('state', state);
  res.redirect(303, url.href);
}

function confirmationPage(
  logoutToken: string,
  target: string | undefined,
  state: string | undefined,
): string {
  return renderDocument(
    'Sign out',
    html`<p>Do you want to sign out of the second provider?</p>
      <form method="post" action="/session/end/confirm">
        <input type="hidden" name="xsrf" value="${logoutToken}" />
        <input type="hidden" name="post_logout_redirect_uri" value="${target ?? ''}" />
        <input type="hidden" name="state" value="${state ?? ''}" />
        <button type="submit" class="primary" autofocus>Sign out</button>
      </form>`,
  );
}

export function endSessionRoutes(ctx: ProviderContext): express.Router {
  const router = express.Router();

  // RP-Initiated Logout 1.0 §2: the request may come as a GET query or a POSTed form.
  const endSession = async (params: Record<string, unknown>, req: Request, res: Response): Promise<void> => {
    const target = stringParam(params.post_logout_redirect_uri);
    const state = stringParam(params.state);
    if (target !== undefined && target !== ctx.postLogoutRedirectUri) return sendRedirectNotAllowed(res);
    const hint = stringParam(params.id_token_hint);
    if (hint !== undefined && !(await isOwnIdToken(ctx, hint))) {
      sendPage(
        res,
        400,
        errorPage('Sign-out refused', 'id_token_hint is not a valid ID token of this provider.'),
      );
      return;
    }
    const session = sessionOf(ctx, req);
    if (session === undefined) return finishLogout(res, target, state);
    sendPage(res, 200, confirmationPage(session.logoutToken, target, state));
  };
  router.get('/session/end', (req, res) => endSession(req.query, req, res));
  router.post('/session/end', (req, res) =>
    endSession((req.body ?? {}) as Record<string, unknown>, req, res),
  );

  router.post('/session/end/confirm', (req, res) => {
    const body = req.body as Record<string, unknown>;
    const id = cookieOf(req, SESSION_COOKIE);
    const session = id === undefined ? undefined : ctx.sessions.get(id);
    const target = stringParam(body.post_logout_redirect_uri);
    if (
      id === undefined ||
      session === undefined ||
      typeof body.xsrf !== 'string' ||
      !same(body.xsrf, session.logoutToken)
    ) {
      sendPage(res, 400, errorPage('Sign-out refused', 'The sign-out form is stale; start again.'));
      return;
    }
    if (target !== undefined && target !== ctx.postLogoutRedirectUri) return sendRedirectNotAllowed(res);
    ctx.sessions.delete(id);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    finishLogout(res, target, stringParam(body.state));
  });

  router.get('/session/end/success', (_req, res) => {
    sendPage(
      res,
      200,
      renderDocument('Signed out', html`<p>You have been signed out. You can close this tab.</p>`),
    );
  });

  return router;
}
