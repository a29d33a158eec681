import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { closeServer, freeLoopbackPort, listenOnLoopback } from '@electron-oidc/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/core/provider.ts';
import { PictureRefusedError, fetchPictureAsDataUrl } from '../../src/bridge/picture.ts';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';

let server: Server;
let base: string;
const cookiesSeen: Array<string | undefined> = [];
let loopRequests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    cookiesSeen.push(req.headers.cookie ?? req.headers.authorization);
    switch (req.url) {
      case '/ok.png':
        res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
        return;
      case '/ok.svg':
        res.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8' }).end(SVG);
        return;
      case '/page.html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<script>alert(1)</script>');
        return;
      case '/html-as-png':
        res.writeHead(200, { 'content-type': 'image/png' }).end('<html><script>alert(1)</script></html>');
        return;
      case '/no-type':
        res.writeHead(200).end(PNG);
        return;
      case '/big-declared.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(300 * 1024) });
        res.end(Buffer.concat([PNG, Buffer.alloc(300 * 1024 - PNG.length)]));
        return;
      case '/big-chunked.png': {
        // No Content-Length: the cap must hold while streaming.
        res.writeHead(200, { 'content-type': 'image/png', 'transfer-encoding': 'chunked' });
        res.write(PNG);
        const chunk = Buffer.alloc(64 * 1024);
        let sent = 0;
        const more = (): void => {
          while (sent < 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', more);
              return;
            }
          }
          res.end();
        };
        more();
        res.on('error', () => {});
        return;
      }
      case '/missing.png':
        res.writeHead(404, { 'content-type': 'image/png' }).end();
        return;
      case '/never-answers':
        // Holds the request open: only the fetcher's own timeout ends it.
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ok.png' }).end();
        return;
      case '/redirect-twice':
        res.writeHead(307, { location: `${base}/redirect` }).end();
        return;
      case '/loop':
        loopRequests += 1;
        res.writeHead(301, { location: '/loop' }).end();
        return;
      case '/no-location':
        res.writeHead(302).end();
        return;
      default:
        if (req.url?.startsWith('/to?')) {
          // An open redirect on a trusted host: sends the fetch wherever the query says.
          res.writeHead(302, { location: new URLSearchParams(req.url.slice(4)).get('url')! }).end();
          return;
        }
        res.writeHead(404).end();
    }
  });
  base = (await listenOnLoopback(server)).origin;
});

afterAll(async () => {
  await closeServer(server);
});

async function refusal(
  url: string,
  options?: Parameters<typeof fetchPictureAsDataUrl>[1],
): Promise<PictureRefusedError> {
  const err = await fetchPictureAsDataUrl(url, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PictureRefusedError);
  return err as PictureRefusedError;
}

describe('fetchPictureAsDataUrl', () => {
  it('turns a PNG into a data URL with its bytes', async () => {
    const dataUrl = await fetchPictureAsDataUrl(`${base}/ok.png`);
    expect(dataUrl).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
  });

  it('takes an SVG avatar, with the media type stripped of parameters', async () => {
    const dataUrl = await fetchPictureAsDataUrl(`${base}/ok.svg`);
    expect(dataUrl).toBe(`data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`);
  });

  it('sends no cookies and no credentials', async () => {
    cookiesSeen.length = 0;
    await fetchPictureAsDataUrl(`${base}/ok.png`);
    expect(cookiesSeen).toEqual([undefined]);
  });

  it.each([
    ['file:///etc/passwd'],
    ['data:image/png;base64,AAAA'],
    ['javascript:alert(1)'],
    ['app://desktop/secret.png'],
    ['ftp://example.com/a.png'],
    ['not a url'],
  ])('refuses the non-http URL %s without fetching', async (url) => {
    expect((await refusal(url)).reason).toBe('not-http');
  });

  it('refuses credentials in the URL', async () => {
    expect((await refusal(`http://user:pw@127.0.0.1:1/a.png`)).reason).toBe('not-http');
  });

  it('refuses plain http off loopback, before any request', async () => {
    const seen: string[] = [];
    const recording = async (url: string | URL | Request) => {
      seen.push(String(url));
      return new Response('');
    };
    await expect(
      fetchPictureAsDataUrl('http://pictures.example.com/a.png', { fetch: recording as typeof fetch }),
    ).rejects.toMatchObject({ reason: 'not-http' });
    expect(seen).toEqual([]);
  });
});

describe('fetchPictureAsDataUrl refuses what is not a small image', () => {
  it('refuses a non-image type', async () => {
    expect((await refusal(`${base}/page.html`)).reason).toBe('type');
  });

  it('refuses a body without a type', async () => {
    expect((await refusal(`${base}/no-type`)).reason).toBe('type');
  });

  it('refuses a body whose bytes are not the declared image type', async () => {
    expect((await refusal(`${base}/html-as-png`)).reason).toBe('content-mismatch');
  });

  it('refuses a body declared larger than the cap', async () => {
    expect((await refusal(`${base}/big-declared.png`)).reason).toBe('too-large');
  });

  it('refuses a streamed body as soon as it passes the cap', async () => {
    expect((await refusal(`${base}/big-chunked.png`)).reason).toBe('too-large');
  });

  it('honours a smaller cap', async () => {
    expect((await refusal(`${base}/ok.png`, { maxBytes: 10 })).reason).toBe('too-large');
  });

  it('refuses an error status', async () => {
    expect((await refusal(`${base}/missing.png`)).reason).toBe('status');
  });

  it('gives up on a server that never answers', async () => {
    expect((await refusal(`${base}/never-answers`, { timeoutMs: 200 })).reason).toBe('network');
  });

  it('reports an unreachable server as a network failure', async () => {
    const port = await freeLoopbackPort();
    expect((await refusal(`http://127.0.0.1:${port}/a.png`)).reason).toBe('network');
  });
});

/** This machine's first non-loopback IPv4 address: an "internal" address that plain http must not reach. */
const INTERNAL_ADDRESS = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

/** A fetch standing in for the network: records every URL it is asked to send, answers from `routes`. */
function recordingNetwork(routes: Record<string, () => Response>) {
  const sent: string[] = [];
  const fetch: FetchLike = async (url) => {
    sent.push(url);
    return routes[url]?.() ?? new Response(null, { status: 404 });
  };
  return { fetch, sent };
}

const redirectTo =
  (location: string, status = 302) =>
  () =>
    new Response(null, { status, headers: { location } });

describe('fetchPictureAsDataUrl: redirects, followed by hand and checked before each hop is sent', () => {
  it('follows a relative redirect to an image on the same host', async () => {
    expect(await fetchPictureAsDataUrl(`${base}/redirect`)).toMatch(/^data:image\/png;base64,/);
  });

  it('follows a chain of redirects within the cap', async () => {
    expect(await fetchPictureAsDataUrl(`${base}/redirect-twice`)).toMatch(/^data:image\/png;base64,/);
  });
});

describe('fetchPictureAsDataUrl: a redirect to a refused address, from the attacker’s side', () => {
  it.skipIf(INTERNAL_ADDRESS === undefined)(
    'a redirect to plain http on an internal address never reaches it',
    async () => {
      const internalRequests: string[] = [];
      const internal = createServer((req, res) => {
        internalRequests.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      });
      await new Promise<void>((resolve) => internal.listen(0, INTERNAL_ADDRESS, resolve));
      try {
        const { port } = internal.address() as { port: number };
        const target = `http://${INTERNAL_ADDRESS}:${port}/admin/reset`;
        // The internal server answers when asked directly: the refusal below is the check, not the network.
        expect((await fetch(target)).status).toBe(200);
        internalRequests.length = 0;
        const err = await refusal(`${base}/to?url=${encodeURIComponent(target)}`);
        expect(err.reason).toBe('not-http');
        expect(internalRequests).toEqual([]);
      } finally {
        await closeServer(internal);
      }
    },
  );

  it.each([
    ['a loopback service', 'http://127.0.0.1:8080/admin'],
    ['a loopback service by name', 'https://localhost/admin'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a local file', 'file:///etc/passwd'],
    ['a URL with credentials', 'https://user:pw@pictures.example.net/a.png'],
    ['the app’s own scheme', 'app://desktop/index.html'],
  ])('a remote picture redirecting to %s: refused, and never requested', async (_name, location) => {
    const first = 'https://pictures.example.com/alice.png';
    const network = recordingNetwork({ [first]: redirectTo(location) });
    await expect(fetchPictureAsDataUrl(first, { fetch: network.fetch })).rejects.toMatchObject({
      reason: 'not-http',
    });
    expect(network.sent).toEqual([first]);
  });
});

describe('fetchPictureAsDataUrl: how far redirects are followed', () => {
  it('a remote picture may redirect to another https host', async () => {
    const first = 'https://pictures.example.com/alice.png';
    const cdn = 'https://cdn.example.net/a/alice.png';
    const network = recordingNetwork({
      [first]: redirectTo(cdn, 308),
      [cdn]: () => new Response(PNG, { headers: { 'content-type': 'image/png' } }),
    });
    expect(await fetchPictureAsDataUrl(first, { fetch: network.fetch })).toMatch(/^data:image\/png;base64,/);
    expect(network.sent).toEqual([first, cdn]);
  });

  it('stops after 3 redirects: a loop is sent 4 requests, then refused', async () => {
    loopRequests = 0;
    expect((await refusal(`${base}/loop`)).reason).toBe('redirects');
    expect(loopRequests).toBe(4);
  });

  it('honours a smaller cap: with maxRedirects 0 the redirect is not followed', async () => {
    loopRequests = 0;
    expect((await refusal(`${base}/loop`, { maxRedirects: 0 })).reason).toBe('redirects');
    expect(loopRequests).toBe(1);
  });

  it('refuses a redirect without a Location', async () => {
    expect((await refusal(`${base}/no-location`)).reason).toBe('status');
  });

  it('refuses the answer of a fetch that followed redirects by itself, unchecked', async () => {
    const followed = new Response(PNG, { headers: { 'content-type': 'image/png' } });
    Object.defineProperty(followed, 'redirected', { value: true });
    const err = await refusal('https://pictures.example.com/a.png', { fetch: async () => followed });
    expect(err.reason).toBe('not-http');
  });

  it('asks the fetch not to follow redirects itself', async () => {
    const modes: Array<RequestInit['redirect']> = [];
    await fetchPictureAsDataUrl(`${base}/ok.png`, {
      fetch: async (url, init) => {
        modes.push(init.redirect);
        return fetch(url, init);
      },
    });
    expect(modes).toEqual(['manual']);
  });
});
