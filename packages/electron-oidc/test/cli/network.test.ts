import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { closeServer, freeLoopbackPort, listenOnLoopback } from '@electron-oidc/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyFetch, proxySettings } from '../../src/cli/network.ts';
import { toAuthError } from '../../src/core/provider-errors.ts';

/**
 * A stand-in proxy that answers every request itself (with the request line
 * it received) and every CONNECT with 502: enough to see where undici sends.
 */
let proxy: Server;
let proxyUrl: string;
/** A server reached directly, answering "direct". */
let target: Server;
let targetUrl: string;

beforeAll(async () => {
  proxy = createServer((req, res) => res.end(`proxy got ${req.method} ${req.url}`));
  proxy.on('connect', (_req: IncomingMessage, socket: Socket) =>
    socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'),
  );
  target = createServer((_req, res) => res.end('direct'));
  [proxyUrl, targetUrl] = await Promise.all([
    listenOnLoopback(proxy).then((a) => a.origin),
    listenOnLoopback(target).then((a) => a.origin),
  ]);
});

afterAll(async () => {
  await Promise.all([closeServer(proxy), closeServer(target)]);
});

async function textThrough(env: Record<string, string>, url: string): Promise<string> {
  const fetch = proxyFetch(env);
  expect(fetch).toBeTypeOf('function');
  return (await fetch!(url, { method: 'GET' })).text();
}

describe('proxyFetch: the CLI honours the proxy variables, through undici’s EnvHttpProxyAgent', () => {
  it.each([{}, { HTTP_PROXY: '' }, { HTTPS_PROXY: '  ' }, { NO_PROXY: '*' }])(
    'no proxy variable set (%o): no fetch of its own, the global fetch as before',
    (env) => {
      expect(proxyFetch(env)).toBeUndefined();
    },
  );

  it('HTTP_PROXY: an http request goes to the proxy in absolute form (RFC 9112 §3.2.2), loopback included', async () => {
    expect(await textThrough({ HTTP_PROXY: proxyUrl }, `${targetUrl}/private?x=1`)).toBe(
      `proxy got GET ${targetUrl}/private?x=1`,
    );
  });

  it('the lower-case spelling wins over the upper-case one, as for curl', async () => {
    const refused = `http://127.0.0.1:${await freeLoopbackPort()}`;
    expect(await textThrough({ http_proxy: proxyUrl, HTTP_PROXY: refused }, `${targetUrl}/a`)).toBe(
      `proxy got GET ${targetUrl}/a`,
    );
    expect(proxySettings({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' }).httpsProxy).toBe(
      'http://a:1',
    );
  });

  it.each(['127.0.0.1', '127.0.0.1:PORT', 'localhost, 127.0.0.1', '*'])(
    'NO_PROXY=%s naming the host: the request goes direct',
    async (noProxy) => {
      const value = noProxy.replace('PORT', new URL(targetUrl).port);
      expect(await textThrough({ HTTP_PROXY: proxyUrl, NO_PROXY: value }, `${targetUrl}/a`)).toBe('direct');
    },
  );

  it('reads the variables it is given, not process.env behind the caller’s back', async () => {
    const saved = process.env.NO_PROXY;
    process.env.NO_PROXY = '127.0.0.1';
    try {
      expect(await textThrough({ HTTP_PROXY: proxyUrl }, `${targetUrl}/a`)).toBe(
        `proxy got GET ${targetUrl}/a`,
      );
    } finally {
      if (saved === undefined) delete process.env.NO_PROXY;
      else process.env.NO_PROXY = saved;
    }
  });

  it('HTTPS_PROXY only: plain http goes direct', async () => {
    expect(await textThrough({ HTTPS_PROXY: proxyUrl }, `${targetUrl}/a`)).toBe('direct');
  });

  it('returns the global Response class the library and openid-client check for', async () => {
    const response = await proxyFetch({ HTTP_PROXY: proxyUrl })!(`${targetUrl}/a`, {});
    expect(response).toBeInstanceOf(Response);
    await response.text();
  });
});

describe('proxyFetch: a refused proxy is "offline" (ERR_PROVIDER_UNREACHABLE), never a refusal by the provider', () => {
  /** What the library makes of the failure while renewing the session. */
  async function libraryReading(env: Record<string, string>, url: string) {
    const failure = await proxyFetch(env)!(url, { method: 'POST', body: 'grant_type=refresh_token' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(TypeError);
    return toAuthError(failure, 'refresh').code;
  }

  it('a proxy that refuses the connection', async () => {
    const refused = `http://127.0.0.1:${await freeLoopbackPort()}`;
    expect(await libraryReading({ HTTP_PROXY: refused }, `${targetUrl}/token`)).toBe(
      'ERR_PROVIDER_UNREACHABLE',
    );
  });

  it('a proxy that answers CONNECT with 502 for an https provider', async () => {
    expect(await libraryReading({ HTTPS_PROXY: proxyUrl }, 'https://idp.example.com/token')).toBe(
      'ERR_PROVIDER_UNREACHABLE',
    );
  });
});
