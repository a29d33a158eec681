/** The login page of an authorization request: password check on the dev provider's demo users. */
import express from 'express';
import { loginPage, WRONG_CREDENTIALS } from '@electron-oidc/dev-idp/pages';
import { verifyPassword } from '@electron-oidc/dev-idp/users';
import { issueCode } from './authorize.ts';
import { nowSeconds, random, redirectBack, sendPage, sendSignInExpired, SESSION_COOKIE } from './http.ts';
import { CLIENT_NAME } from './types.ts';
import type { BrowserSession, ProviderContext } from './types.ts';

export function interactionRoutes(ctx: ProviderContext): express.Router {
  const router = express.Router();

  router.get('/interaction/:uid', (req, res) => {
    if (!ctx.interactions.has(req.params.uid)) return sendSignInExpired(res);
    sendPage(res, 200, loginPage({ uid: req.params.uid, clientName: CLIENT_NAME }));
  });

  router.post('/interaction/:uid/login', async (req, res) => {
    const uid = req.params.uid;
    const interaction = ctx.interactions.get(uid);
    if (interaction === undefined) return sendSignInExpired(res);
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const account = await verifyPassword(username, password);
    if (account === undefined) {
      sendPage(res, 401, loginPage({ uid, clientName: CLIENT_NAME, username, error: WRONG_CREDENTIALS }));
      return;
    }
    ctx.interactions.delete(uid);
    const sessionId = random();
    const session: BrowserSession = { sub: account.id, authTime: nowSeconds(), logoutToken: random() };
    ctx.sessions.set(sessionId, session);
    res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', path: '/' });
    issueCode(ctx, res, interaction, session);
  });

  router.post('/interaction/:uid/abort', (req, res) => {
    const interaction = ctx.interactions.get(req.params.uid);
    ctx.interactions.delete(req.params.uid);
    if (interaction === undefined) return sendSignInExpired(res);
    redirectBack(ctx, res, interaction.redirectUri, { error: 'access_denied', state: interaction.state });
  });

  return router;
}
