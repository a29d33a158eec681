/**
 * Fetches the profile picture in the main process and turns it into a
 * `data:` URL, so the renderer never makes a network request and its CSP can
 * stay `img-src 'self' data:` (Electron security checklist: "Define a Content
 * Security Policy"). Written against web-platform APIs only (fetch, streams,
 * btoa) so it runs unchanged in Node and Electron's main process.
 */
import type { FetchLike } from '../core/fetch-like.ts';

/**
 * The image types the picture may have.
 *
 * SVG is accepted on purpose: the local provider (and some real ones) serve SVG
 * avatars. It is safe *as used here*: the renderer shows the data URL only
 * through `<img>`, where Chromium renders SVG in "secure static mode" (no
 * script, no external loads), top-level navigation to `data:` URLs is blocked,
 * the app's CSP has `object-src 'none'` and the window denies every navigation.
 * An app that would put the URL anywhere but an `<img src>` must drop SVG.
 */
export const PICTURE_TYPES: readonly string[] = Object.freeze([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/svg+xml',
]);

export interface PictureFetchOptions {
  /** Largest body accepted, in bytes. Default 256 KiB: an avatar, not a photo album. */
  maxBytes?: number;
  /** How long the whole fetch (headers and body) may take. Default 5 s. */
  timeoutMs?: number;
  /** Most redirects followed, each checked before it is sent. Default 3. */
  maxRedirects?: number;
  /**
   * The fetch to use (tests, or a proxy-aware one such as `electronNetFetch(net)`).
   * Default: the global `fetch`. It is asked for `redirect: 'manual'`; one that
   * rejects redirects instead (Electron's `net.fetch`) refuses redirecting pictures.
   */
  fetch?: FetchLike;
}

export const DEFAULT_PICTURE_MAX_BYTES = 256 * 1024;
export const DEFAULT_PICTURE_TIMEOUT_MS = 5_000;
export const DEFAULT_PICTURE_MAX_REDIRECTS = 3;

/** Why a picture was not taken. The profile is still shown, without a picture. */
export class PictureRefusedError extends Error {
  readonly reason:
    'not-http' | 'redirects' | 'status' | 'type' | 'too-large' | 'content-mismatch' | 'network';
  constructor(reason: PictureRefusedError['reason'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PictureRefusedError';
    this.reason = reason;
  }
}

/** The media type of a `Content-Type` header, lower-cased, without parameters. */
function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

/**
 * Whether the bytes are what the header claims. A server that labels HTML as
 * `image/png` is not trusted to have sent an image.
 */
function bytesMatchType(bytes: Uint8Array, type: string): boolean {
  switch (type) {
    case 'image/png':
      return startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'image/jpeg':
      return startsWith(bytes, [0xff, 0xd8, 0xff]);
    case 'image/gif':
      return (
        startsWith(bytes, [0x47, 0x49, 0x46, 0x38]) &&
        (bytes[4] === 0x37 || bytes[4] === 0x39) &&
        bytes[5] === 0x61
      );
    case 'image/webp':
      return startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8);
    case 'image/svg+xml': {
      const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 4096));
      return /^\uFEFF?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(
        text,
      );
    }
    default:
      return false;
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** Reads at most `maxBytes` of the body, cancelling the stream as soon as it is over. */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new PictureRefusedError(
      'too-large',
      `The picture is ${declared} bytes; at most ${maxBytes} are accepted.`,
    );
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new PictureRefusedError('too-large', `The picture is over ${maxBytes} bytes.`);
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/** A loopback host (127.0.0.0/8, ::1, localhost): this machine. */
function isLoopback(url: URL): boolean {
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The rules every URL the picture fetch sends to must pass, the first and
 * each redirect's: checked before the request is sent, so a refused address
 * never receives one.
 *
 * - http(s) only, without credentials: no `file:`, `data:`, `blob:` or custom
 *   schemes, so the main process is never talked into reading local files or
 *   app resources on the provider's word.
 * - https, plain http only on loopback (a local development provider), as
 *   for issuers: elsewhere an observer could swap the image or learn when the
 *   app is open.
 * - A redirect from elsewhere may not lead to this machine (as browsers'
 *   Private Network Access refuses): a remote picture must not make the app
 *   send requests to services listening on loopback.
 */
function checkPictureUrl(url: URL, redirectedFrom?: URL): void {
  const what = redirectedFrom === undefined ? 'The picture URL' : 'The picture redirected to a URL that';
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw new PictureRefusedError('not-http', `${what} is not an http(s) URL without credentials.`);
  }
  if (url.protocol !== 'https:' && !isLoopback(url)) {
    throw new PictureRefusedError(
      'not-http',
      `${what} is plain http off loopback; pictures are fetched over https.`,
    );
  }
  if (redirectedFrom !== undefined && isLoopback(url) && !isLoopback(redirectedFrom)) {
    throw new PictureRefusedError('not-http', `${what} is on this machine, and the picture is not.`);
  }
}

function parsePictureUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PictureRefusedError('not-http', 'The picture URL is not a URL.');
  }
  checkPictureUrl(parsed);
  return parsed;
}

/** The statuses whose `Location` a fetch in `follow` mode would follow (Fetch §4.4 "redirect status"). */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** One request of the picture fetch, to a URL already checked. */
async function sendOne(doFetch: FetchLike, url: URL, signal: AbortSignal): Promise<Response> {
  try {
    return await doFetch(url.href, {
      method: 'GET',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      // Followed below, hop by hop, each hop checked before it is sent.
      redirect: 'manual',
      headers: { accept: PICTURE_TYPES.join(', ') },
      signal,
    });
  } catch (err) {
    throw new PictureRefusedError('network', 'The picture could not be fetched.', { cause: err });
  }
}

/** Where a redirect leads, checked; the redirect's own body is dropped. */
async function nextHop(response: Response, from: URL, hops: number, maxRedirects: number): Promise<URL> {
  await response.body?.cancel().catch(() => {});
  if (hops >= maxRedirects) {
    throw new PictureRefusedError('redirects', `The picture redirected more than ${maxRedirects} times.`);
  }
  const location = response.headers.get('location');
  if (location === null) {
    throw new PictureRefusedError(
      'status',
      `The picture's server answered ${response.status} without a Location.`,
    );
  }
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new PictureRefusedError('not-http', 'The picture redirected to something that is not a URL.');
  }
  checkPictureUrl(next, from);
  return next;
}

/**
 * The picture's answer, redirects followed by hand: a fetch in `follow` mode
 * sends each hop before anyone can look at it, so a picture URL could make
 * the app send a blind GET to an internal address.
 */
async function fetchFollowingCheckedRedirects(
  doFetch: FetchLike,
  first: URL,
  signal: AbortSignal,
  maxRedirects: number,
): Promise<Response> {
  let url = first;
  for (let hops = 0; ; hops++) {
    const response = await sendOne(doFetch, url, signal);
    // A fetch that followed by itself although asked not to: its hops went unchecked.
    if (response.redirected) {
      await response.body?.cancel().catch(() => {});
      throw new PictureRefusedError('not-http', 'The fetch followed a redirect unchecked.');
    }
    if (!REDIRECT_STATUSES.has(response.status)) return response;
    url = await nextHop(response, url, hops, maxRedirects);
  }
}

/** The image in a final answer, as a `data:` URL. */
async function readPicture(response: Response, maxBytes: number): Promise<string> {
  if (!response.ok) {
    throw new PictureRefusedError('status', `The picture's server answered ${response.status}.`);
  }
  const type = mediaTypeOf(response.headers.get('content-type'));
  if (!PICTURE_TYPES.includes(type)) {
    throw new PictureRefusedError(
      'type',
      `The picture is of type "${type || 'unknown'}", not an accepted image type.`,
    );
  }
  const bytes = await readCapped(response, maxBytes);
  if (!bytesMatchType(bytes, type)) {
    throw new PictureRefusedError('content-mismatch', `The picture's bytes are not ${type}.`);
  }
  return `data:${type};base64,${toBase64(bytes)}`;
}

/**
 * Fetches an https image (plain http on loopback only) and returns it as a `data:` URL.
 *
 * Refuses (with {@link PictureRefusedError}) anything but http(s) URLs, non-2xx
 * answers, types outside {@link PICTURE_TYPES}, bodies whose bytes are not of
 * the declared type, and bodies over `maxBytes`. Follows at most
 * `maxRedirects` redirects, each checked by the same rules before it is sent
 * (and none from a remote host to loopback). Sends no cookies, no credentials
 * and no referrer.
 *
 * @example
 * ```ts
 * const src = await fetchPictureAsDataUrl('https://idp.example.com/avatars/alice.png');
 * // 'data:image/png;base64,iVBORw0…'
 * ```
 */
export async function fetchPictureAsDataUrl(url: string, options: PictureFetchOptions = {}): Promise<string> {
  const first = parsePictureUrl(url);
  const doFetch = options.fetch ?? ((href, init) => fetch(href, init));
  const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_PICTURE_TIMEOUT_MS);
  const maxRedirects = options.maxRedirects ?? DEFAULT_PICTURE_MAX_REDIRECTS;
  const response = await fetchFollowingCheckedRedirects(doFetch, first, signal, maxRedirects);
  try {
    return await readPicture(response, options.maxBytes ?? DEFAULT_PICTURE_MAX_BYTES);
  } catch (err) {
    await response.body?.cancel().catch(() => {});
    if (err instanceof PictureRefusedError) throw err;
    throw new PictureRefusedError('network', 'The picture could not be read.', { cause: err });
  }
}
