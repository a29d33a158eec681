import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { closeServer, freeLoopbackPort, listenOnLoopback } from '@electron-oidc/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PictureRefusedError, fetchPictureAsDataUrl } from '../../src/bridge/picture.ts';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';

let server: Server;
let base: string;
const cookiesSeen: Array<string | undefined> = [];

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
      default:
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

  it('follows a redirect to an http image', async () => {
    expect(await fetchPictureAsDataUrl(`${base}/redirect`)).toMatch(/^data:image\/png;base64,/);
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
