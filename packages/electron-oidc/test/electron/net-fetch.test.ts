import { describe, expect, it, vi } from 'vitest';
import type { Net } from 'electron';
import { toAuthError } from '../../src/core/provider-errors.ts';
import { electronNetFetch } from '../../src/electron/net-fetch.ts';

type NetInit = Parameters<Net['fetch']>[1];

/** A `net` whose `fetch` records each call and answers 200. */
function recordingNet() {
  const calls: Array<{ url: string; init: NetInit }> = [];
  const net = {
    fetch: vi.fn(async (url: string | Request, init?: NetInit) => {
      calls.push({ url: String(url), init });
      return new Response('ok');
    }),
  };
  return { net, calls };
}

describe('electronNetFetch: the library’s requests go through Electron’s net.fetch', () => {
  it('sends the request, its method, headers, body and signal through net.fetch and returns its response', async () => {
    const { net, calls } = recordingNet();
    const signal = AbortSignal.timeout(5_000);
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
    const response = await electronNetFetch(net)('https://idp.example.com/token', {
      method: 'POST',
      headers,
      body: 'grant_type=refresh_token',
      redirect: 'manual',
      signal,
    });
    expect(await response.text()).toBe('ok');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('https://idp.example.com/token');
    expect(calls[0]!.init).toMatchObject({
      method: 'POST',
      headers,
      body: 'grant_type=refresh_token',
      redirect: 'manual',
      signal,
    });
  });

  it('sends no cookies of the default session and keeps nothing in Chromium’s disk cache', async () => {
    const { net, calls } = recordingNet();
    await electronNetFetch(net)('https://api.example.com/private', { method: 'GET' });
    expect(calls[0]!.init).toMatchObject({ credentials: 'omit', cache: 'no-store' });
  });

  it('bypasses the app’s custom protocol handlers, even when the caller asks otherwise', async () => {
    const { net, calls } = recordingNet();
    const init = { bypassCustomProtocolHandlers: false } as RequestInit;
    await electronNetFetch(net)('http://127.0.0.1:4000/.well-known/openid-configuration', init);
    expect(calls[0]!.init?.bypassCustomProtocolHandlers).toBe(true);
  });

  it.each(['file:///etc/passwd', 'app://desktop/index.html', 'data:text/plain,x', 'blob:https://x/y'])(
    'refuses %s before net.fetch sees it, as a misuse (not a network failure)',
    async (url) => {
      const { net } = recordingNet();
      const failure = electronNetFetch(net)(url, {});
      await expect(failure).rejects.toThrow(TypeError);
      await expect(failure).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      expect(net.fetch).not.toHaveBeenCalled();
    },
  );
});

/** What the library makes of a failure of the adapter while renewing the session. */
async function libraryReading(electronError: unknown) {
  const net = { fetch: vi.fn(async () => Promise.reject(electronError)) };
  const failure = await electronNetFetch(net)('https://idp.example.com/token', {}).catch((e: unknown) => e);
  return { failure, code: toAuthError(failure, 'refresh').code };
}

describe('electronNetFetch: a refused proxy is "offline", never a broken answer', () => {
  // Electron rejects with a plain Error named after Chromium's net error (net/base/net_error_list.h).
  it.each([
    'net::ERR_PROXY_CONNECTION_FAILED', // the proxy refuses the connection
    'net::ERR_TUNNEL_CONNECTION_FAILED', // the proxy answers CONNECT with 502/503
    'net::ERR_PAC_SCRIPT_FAILED',
    'net::ERR_INTERNET_DISCONNECTED',
    'net::ERR_CONNECTION_REFUSED',
    'net::ERR_NAME_NOT_RESOLVED',
  ])(
    '%s is rejected as Node’s fetch rejects a network failure, and read as ERR_PROVIDER_UNREACHABLE',
    async (name) => {
      const chromium = new Error(name);
      const { failure, code } = await libraryReading(chromium);
      expect(failure).toBeInstanceOf(TypeError);
      expect(failure).toMatchObject({ message: 'fetch failed', cause: chromium });
      expect(code).toBe('ERR_PROVIDER_UNREACHABLE');
    },
  );

  it('a redirect net.fetch cancelled in manual mode is not a network failure', async () => {
    const cancelled = new Error('Redirect was cancelled');
    const { failure, code } = await libraryReading(cancelled);
    expect(failure).toBe(cancelled);
    expect(code).not.toBe('ERR_PROVIDER_UNREACHABLE');
  });

  it('an abort or timeout passes through as it is', async () => {
    const timeout = new DOMException('The operation timed out.', 'TimeoutError');
    const { failure, code } = await libraryReading(timeout);
    expect(failure).toBe(timeout);
    expect(code).toBe('ERR_PROVIDER_UNREACHABLE');
  });
});
