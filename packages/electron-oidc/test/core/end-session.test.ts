import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../../src/core/config.ts';
import { buildEndSessionUrl, endSessionInBrowser } from '../../src/core/end-session.ts';

const JWT_SHAPED = /eyJ[\w-]*\.[\w-]+\.[\w-]+/;
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const logger = { info() {}, warn() {}, error() {} };

describe('buildEndSessionUrl', () => {
  it('carries client_id and, with a fixed port, the loopback post_logout_redirect_uri; never an ID token', () => {
    const provider = new client.Configuration(
      { issuer: 'https://idp.example/', end_session_endpoint: 'https://idp.example/logout' },
      'desktop-app',
    );
    const config = { clientId: 'desktop-app', postLogoutRedirectPath: '/logout' } as unknown as AuthConfig;
    const url = buildEndSessionUrl(provider, config, { postLogoutPort: 5555 })!;
    expect(url.origin + url.pathname).toBe('https://idp.example/logout');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'desktop-app',
      post_logout_redirect_uri: 'http://127.0.0.1:5555/logout',
    });
    expect(url.href).not.toMatch(JWT_SHAPED);
  });
});

describe('endSessionInBrowser', () => {
  it('opens the browser on a loopback page, which posts the ID token to the end-session endpoint', async () => {
    const config = {
      clientId: 'desktop-app',
      redirectPort: undefined,
      postLogoutRedirectPath: '/logout',
    } as unknown as AuthConfig;
    const opened: string[] = [];
    let page: { status: number; headers: Headers; body: string } | undefined;
    const ended = endSessionInBrowser({
      endpoint: new URL('https://idp.example/session/end'),
      idToken: ID_TOKEN,
      config,
      logger,
      timeoutMs: 5_000,
      openBrowser: async (url) => {
        opened.push(url);
        const res = await fetch(url);
        page = { status: res.status, headers: res.headers, body: await res.text() };
        const form = new URLSearchParams(
          [...page.body.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((m): [string, string] => [
            m[1]!,
            m[2]!.replaceAll('&amp;', '&'),
          ]),
        );
        // What the provider does after the POST: back to the loopback with the state.
        const back = new URL(form.get('post_logout_redirect_uri')!);
        back.searchParams.set('state', form.get('state')!);
        await fetch(back);
      },
    });
    await expect(ended).resolves.toBe(true);

    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/end-session\/[\w-]{43}$/);
    expect(opened[0]).not.toMatch(JWT_SHAPED);
    expect(page!.status).toBe(200);
    expect(page!.body).toContain('<form method="post" action="https://idp.example/session/end">');
    expect(page!.body).toContain(`name="id_token_hint" value="${ID_TOKEN}"`);
    expect(page!.body).toContain('name="client_id" value="desktop-app"');
    expect(page!.body).toMatch(/name="post_logout_redirect_uri" value="http:\/\/127\.0\.0\.1:\d+\/logout"/);
    expect(page!.body).not.toMatch(/\bsrc=|<link|<img|<iframe/);
    // One inline script, allowed by its hash and nothing else.
    const csp = page!.headers.get('content-security-policy')!;
    expect(csp).toMatch(
      /^default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[\w+/]+={0,2}'; base-uri 'none'; frame-ancestors 'none'$/,
    );
    expect(page!.headers.get('cache-control')).toBe('no-store');
    expect(page!.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('the page is served once: fetched again, it is gone and holds no token', async () => {
    const config = { clientId: 'c', postLogoutRedirectPath: '/logout' } as unknown as AuthConfig;
    let again: { status: number; body: string } | undefined;
    const stop = new AbortController();
    const ended = await endSessionInBrowser({
      signal: stop.signal,
      endpoint: new URL('https://idp.example/session/end'),
      idToken: ID_TOKEN,
      config,
      logger,
      timeoutMs: 30_000,
      openBrowser: async (url) => {
        await (await fetch(url)).text();
        const res = await fetch(url);
        again = { status: res.status, body: await res.text() };
        stop.abort();
      },
    });
    expect(ended).toBe(false);
    expect(again?.status).toBe(410);
    expect(again?.body).not.toMatch(JWT_SHAPED);
  });

  it('a busy fixed redirect port means the provider session is not ended (false), not a rejection', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const config = { redirectPort: port, postLogoutRedirectPath: '/logged-out' } as unknown as AuthConfig;
      const openBrowser = vi.fn(async () => {});
      const lines: string[] = [];
      const ended = endSessionInBrowser({
        endpoint: new URL('https://idp.example/session/end'),
        idToken: ID_TOKEN,
        config,
        openBrowser,
        logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) },
        timeoutMs: 5_000,
      });
      await expect(ended).resolves.toBe(false);
      expect(openBrowser).not.toHaveBeenCalled();
      expect(lines.join('\n')).toContain(String(port));
      expect(lines.join('\n')).not.toMatch(JWT_SHAPED);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
