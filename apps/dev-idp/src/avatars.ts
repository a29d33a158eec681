import express from 'express';
import { escapeHtml } from './interactions/html.ts';
import { findAccountByUsername } from './users.ts';
import type { Account } from './users.ts';

export const AVATAR_PATH = '/avatars';

/** The absolute URL of an account's picture, served by this provider so it works offline. */
export function avatarUrl(issuer: string, account: Account): string {
  return new URL(`${AVATAR_PATH}/${encodeURIComponent(account.username)}.svg`, issuer).href;
}

/** A small SVG with the account's initials; no scripts, fonts or links. */
export function avatarSvg(account: Account): string {
  const initials = (account.givenName.charAt(0) + account.familyName.charAt(0)).toUpperCase();
  return `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128" role="img" aria-label="${escapeHtml(account.name)}">
<rect width="128" height="128" rx="64" fill="${escapeHtml(account.avatarColor)}"/>
<text x="64" y="64" dy="0.35em" text-anchor="middle" font-family="sans-serif" font-size="52" font-weight="600" fill="#ffffff">${escapeHtml(initials)}</text>
</svg>
`;
}

export function avatarRoutes(): express.Router {
  const router = express.Router();
  router.get(`${AVATAR_PATH}/:file`, (req, res) => {
    const username = /^(\w+)\.svg$/.exec(req.params.file)?.[1];
    const account = username === undefined ? undefined : findAccountByUsername(username);
    if (!account) {
      res.status(404).type('text/plain').send('No such avatar.');
      return;
    }
    // An SVG opened directly is a document that could run script; this one has
    // none, and the policy makes sure none ever runs.
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').send(avatarSvg(account));
  });
  return router;
}
