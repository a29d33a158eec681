/**
 * The authorization endpoint: one registered client with one exact redirect URI, PKCE S256
 * required, Auth0-style `audience` (RFC 8707 `resource` refused), and no RFC 9207 `iss`
 * in the response. A browser that already has a session gets a code at once; any other
 * goes to the login page (./interaction.ts).
 */
import express from 'express';
import type { Request, Response } from 'express';
import { errorPage } from '@electron-oidc/dev-idp/pages';
import { random, redirectBack, sendPage, sessionOf, stringParam } from './http.ts';
import { API_SCOPE, OIDC_SCOPES } from './types.ts';
import type { BrowserSession, Interaction, ProviderContext } from './types.ts';

/** Issues a code for `interaction` to the user of `session` and sends the browser back with it. */
export function issueCode(
  ctx: ProviderContext,
  res: Response,
  interaction: Interaction,
  session: BrowserSession,
): void {
  const code = random();
  ctx.codes.set(code, {
    ...interaction,
    sub: session.sub,
    authTime: session.authTime,
    expiresAt: Date.now() + 60_000,
  });
  // No `iss` (RFC 9207 not supported), unless a test tampers.
  redirectBack(ctx, res, interaction.redirectUri, { code, state: interaction.state });
}

/**
 * RFC 6749 §4.1.2.1: with an unknown client or an unregistered redirect URI the user is
 * told, and never sent anywhere. Exact string match, port included (RFC 9700 §2.1).
 * Answers and returns false when the request names either.
 */
function acceptClient(ctx: ProviderContext, req: Request, res: Response): boolean {
  const requestedRedirect = stringParam(req.query.redirect_uri);
  if (stringParam(req.query.client_id) !== ctx.clientId) {
    sendPage(
      res,
      400,
      errorPage('Unknown application', 'invalid_client: this application is not registered.'),
    );
    return false;
  }
  if (requestedRedirect !== ctx.redirectUri) {
    const page = errorPage(
      'Redirect not allowed',
      'invalid_redirect_uri: the redirect URI is not registered for this application.',
      [['redirect_uri', requestedRedirect ?? '(none)']],
    );
    sendPage(res, 400, page);
    return false;
  }
  return true;
}

/** The OAuth error the request earns (sent to the redirect URI), or the interaction it starts. */
function readRequest(
  ctx: ProviderContext,
  query: Request['query'],
): Interaction | { error: string; description: string } {
  const fail = (error: string, description: string) => ({ error, description });
  if (query.response_type !== 'code') return fail('unsupported_response_type', 'only response_type=code');
  const codeChallenge = stringParam(query.code_challenge);
  if (codeChallenge === undefined || query.code_challenge_method !== 'S256') {
    return fail('invalid_request', 'PKCE with S256 is required');
  }
  const scopes = (stringParam(query.scope) ?? '').split(' ').filter((s) => s !== '');
  if (!scopes.includes('openid')) return fail('invalid_scope', 'openid is required');
  const unknown = scopes.find((s) => !OIDC_SCOPES.includes(s) && s !== API_SCOPE);
  if (unknown !== undefined) return fail('invalid_scope', `unknown scope ${unknown}`);
  if (query.resource !== undefined)
    return fail('invalid_request', 'resource indicators are not supported; use audience');
  const audience = stringParam(query.audience);
  if (audience !== undefined && audience !== ctx.apiAudience)
    return fail('invalid_request', 'unknown audience');
  return {
    clientId: ctx.clientId,
    redirectUri: ctx.redirectUri,
    state: stringParam(query.state),
    nonce: stringParam(query.nonce),
    scopes,
    codeChallenge,
  };
}

export function authorizeRoutes(ctx: ProviderContext): express.Router {
  const router = express.Router();
  router.get('/authorize', (req, res) => {
    if (!acceptClient(ctx, req, res)) return;
    const interaction = readRequest(ctx, req.query);
    if ('error' in interaction) {
      const { error, description } = interaction;
      const state = stringParam(req.query.state);
      redirectBack(ctx, res, ctx.redirectUri, { error, error_description: description, state });
      return;
    }
    const session = sessionOf(ctx, req);
    if (session !== undefined) {
      issueCode(ctx, res, interaction, session);
      return;
    }
    const uid = random();
    ctx.interactions.set(uid, interaction);
    res.redirect(303, `/interaction/${uid}`);
  });
  return router;
}
