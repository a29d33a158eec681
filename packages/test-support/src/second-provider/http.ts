/** Small request and response helpers the second provider's endpoints share. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { CONTENT_SECURITY_POLICY, errorPage } from '@electron-oidc/dev-idp/pages';
import type { BrowserSession, ProviderContext } from './types.ts';

export const SESSION_COOKIE = 'second_session';

export const random = (): string => randomBytes(32).toString('base64url');
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Compares two strings without leaking where they differ. */
export function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function sendPage(res: Response, status: number, page: string): void {
  res.status(status).set('Content-Security-Policy', CONTENT_SECURITY_POLICY).type('html').send(page);
}

/** The page for an interaction this provider does not know (any more). */
export function sendSignInExpired(res: Response): void {
  sendPage(res, 400, errorPage('Sign-in expired', 'Start the sign-in again from the app.'));
}

export function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error, error_description: description });
}

export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** The browser session the request's cookie names, if any. */
export function sessionOf(ctx: ProviderContext, req: Request): BrowserSession | undefined {
  const id = cookieOf(req, SESSION_COOKIE);
  return id === undefined ? undefined : ctx.sessions.get(id);
}

/** Sends the browser back to the client's redirect URI with `params` (and a tampered `iss`, if set). */
export function redirectBack(
  ctx: ProviderContext,
  res: Response,
  target: string,
  params: Record<string, string | undefined>,
): void {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(name, value);
  if (ctx.tampering.authorizationResponseIss !== undefined)
    url.searchParams.set('iss', ctx.tampering.authorizationResponseIss);
  res.redirect(303, url.href);
}
