/**
 * Origins as the bridge compares them. WHATWG `URL.origin` is `"null"` for any
 * scheme it does not know (e.g. the app's own `app://desktop`), which would make
 * every custom-scheme page look alike; so for those the origin is taken as
 * `scheme://host[:port]`, and the schemes that never denote the app are
 * refused outright.
 */

/** Schemes whose documents are never the app's own page (opaque, local or inherited origins). */
const REFUSED_SCHEMES = new Set([
  'file:',
  'data:',
  'blob:',
  'about:',
  'javascript:',
  'filesystem:',
  'chrome:',
  'devtools:',
]);

/**
 * The origin of `url` as `scheme://host[:port]`, or `undefined` when it has
 * none the bridge could trust: unparseable, a refused scheme, no host, or
 * credentials in the URL.
 */
export function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (REFUSED_SCHEMES.has(parsed.protocol)) return undefined;
  if (parsed.host === '' || parsed.username !== '' || parsed.password !== '') return undefined;
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  return `${parsed.protocol}//${parsed.host}`;
}

/**
 * Checks that `appOrigin` is written as an origin (`scheme://host[:port]`, no
 * path, no trailing slash) and returns it; a typo here would otherwise refuse
 * every call, or worse, match something unintended.
 */
export function assertAppOrigin(appOrigin: unknown): string {
  if (typeof appOrigin !== 'string' || originOf(appOrigin) !== appOrigin) {
    throw new TypeError(
      `appOrigin must be an origin such as "app://desktop" or "http://127.0.0.1:5173" (scheme and host, no path); got ${JSON.stringify(appOrigin)}.`,
    );
  }
  return appOrigin;
}

/** Whether `url` is a page of the app: its origin is exactly `appOrigin`. */
export function isAppUrl(url: string, appOrigin: string): boolean {
  return originOf(url) === appOrigin;
}
