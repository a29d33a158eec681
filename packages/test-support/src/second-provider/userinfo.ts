/**
 * The userinfo endpoint, the only place this provider gives out the profile. It admits
 * the JWT access token because that token's `aud` holds the client id (Auth0-style).
 */
import express from 'express';
import type { Request, Response } from 'express';
import { jwtVerify } from 'jose';
import { avatarUrl } from '@electron-oidc/dev-idp/pages';
import { findAccountById } from '@electron-oidc/dev-idp/users';
import type { Account } from '@electron-oidc/dev-idp/users';
import type { ProviderContext } from './types.ts';

/** The claims `scopes` grant of `account` (OIDC Core §5.4). */
export function userinfoClaims(
  account: Account,
  scopes: readonly string[],
  issuer: string,
): Record<string, unknown> {
  return {
    sub: account.id,
    ...(scopes.includes('profile')
      ? {
          name: account.name,
          given_name: account.givenName,
          family_name: account.familyName,
          preferred_username: account.username,
          picture: avatarUrl(issuer, account),
        }
      : {}),
    ...(scopes.includes('email') ? { email: account.email, email_verified: account.emailVerified } : {}),
  };
}

async function userinfo(ctx: ProviderContext, req: Request, res: Response): Promise<void> {
  if (ctx.tampering.userinfoFailures > 0) {
    ctx.tampering.userinfoFailures--;
    res.status(503).json({ error: 'temporarily_unavailable' });
    return;
  }
  const match = /^Bearer ([\w.~+/-]+=*)$/.exec(req.headers.authorization ?? '');
  // RFC 6750 §3.
  const challenge = (error: string) => {
    res.status(401).set('WWW-Authenticate', `Bearer error="${error}"`).json({ error });
  };
  if (match?.[1] === undefined) return challenge('invalid_request');
  try {
    // The access token's aud holds the client id: that is what admits it here.
    const { payload } = await jwtVerify(match[1], ctx.key.publicKey, {
      issuer: ctx.issuer,
      audience: ctx.clientId,
      algorithms: ['RS256'],
      typ: 'JWT',
    });
    if (typeof payload.scope !== 'string' || payload.nonce !== undefined) return challenge('invalid_token');
    const account = typeof payload.sub === 'string' ? findAccountById(payload.sub) : undefined;
    if (account === undefined) return challenge('invalid_token');
    res.set('Cache-Control', 'no-store').json(userinfoClaims(account, payload.scope.split(' '), ctx.issuer));
  } catch {
    challenge('invalid_token');
  }
}

export function userinfoRoutes(ctx: ProviderContext): express.Router {
  const router = express.Router();
  router.get('/userinfo', (req, res) => userinfo(ctx, req, res));
  router.post('/userinfo', (req, res) => userinfo(ctx, req, res));
  return router;
}
