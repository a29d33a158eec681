/**
 * The token endpoint: the authorization code grant (PKCE checked) and the refresh grant,
 * whose refresh token is never rotated: it stays valid and is either repeated or left out
 * of the answer (RFC 6749 §6), as `refreshTokenAnswer` says.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import type { Response } from 'express';
import { oauthError, random, same, stringParam } from './http.ts';
import { issueTokens } from './signing.ts';
import type { IssuedTokens } from './signing.ts';
import type { Grant, ProviderContext } from './types.ts';

type TokenRequest = Record<string, unknown>;

function sendTokens(
  ctx: ProviderContext,
  res: Response,
  tokens: IssuedTokens,
  refreshToken: string | undefined,
): void {
  res.set('Cache-Control', 'no-store').json({
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: ctx.accessTokenTtl,
    id_token: tokens.idToken,
    scope: tokens.scope,
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
  });
}

async function grantAuthorizationCode(
  ctx: ProviderContext,
  body: TokenRequest,
  res: Response,
): Promise<void> {
  const code = stringParam(body.code);
  const issued = code === undefined ? undefined : ctx.codes.get(code);
  if (code !== undefined) ctx.codes.delete(code);
  if (issued === undefined || issued.expiresAt < Date.now()) {
    return oauthError(res, 400, 'invalid_grant', 'the code is invalid, expired or used');
  }
  if (body.redirect_uri !== issued.redirectUri) {
    return oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request');
  }
  const verifier = stringParam(body.code_verifier);
  const challenge = verifier === undefined ? '' : createHash('sha256').update(verifier).digest('base64url');
  if (!same(challenge, issued.codeChallenge)) {
    return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
  }
  const grant: Grant = {
    sub: issued.sub,
    clientId: ctx.clientId,
    scopes: issued.scopes,
    authTime: issued.authTime,
  };
  const tokens = await issueTokens(ctx, grant, issued.nonce);
  let refreshToken: string | undefined;
  if (grant.scopes.includes('offline_access')) {
    refreshToken = random();
    ctx.refreshTokens.set(refreshToken, grant);
  }
  sendTokens(ctx, res, tokens, refreshToken);
}

async function grantRefreshToken(ctx: ProviderContext, body: TokenRequest, res: Response): Promise<void> {
  const refreshToken = stringParam(body.refresh_token);
  const grant = refreshToken === undefined ? undefined : ctx.refreshTokens.get(refreshToken);
  if (refreshToken === undefined || grant === undefined || grant.clientId !== ctx.clientId) {
    return oauthError(res, 400, 'invalid_grant', 'the refresh token is invalid');
  }
  const tokens = await issueTokens(ctx, grant, undefined);
  // No rotation: the refresh token stays valid; it is either repeated or left out (RFC 6749 §6).
  sendTokens(ctx, res, tokens, ctx.refreshTokenAnswer === 'same' ? refreshToken : undefined);
}

export function tokenRoutes(ctx: ProviderContext): express.Router {
  const router = express.Router();
  router.post('/oauth/token', async (req, res) => {
    const body = req.body as TokenRequest;
    if (body.client_id !== ctx.clientId) return oauthError(res, 401, 'invalid_client', 'unknown client');
    if (body.grant_type === 'authorization_code') return grantAuthorizationCode(ctx, body, res);
    if (body.grant_type === 'refresh_token') return grantRefreshToken(ctx, body, res);
    oauthError(res, 400, 'unsupported_grant_type', 'authorization_code and refresh_token only');
  });
  return router;
}
