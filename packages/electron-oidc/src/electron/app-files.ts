import { realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * What the app's own pages are served with, in Electron (custom protocol) and
 * in tests (loopback HTTP) alike. Plain Node: no `electron` import.
 */

/**
 * The renderer's Content Security Policy (Electron security checklist: "Define
 * a Content Security Policy"). Scripts and styles from the app only (no
 * inline, no eval); images also from `data:` because the main process hands
 * the profile picture over as a data URL; no network access at all
 * (`connect-src 'none'`: the renderer talks only to the bridge); no plugins,
 * no `<base>`, no framing, no form posts.
 */
export const APP_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** The headers every response of the app carries. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': APP_CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/** The file types the app serves; anything else is a 404, so a stray file is never served as something runnable. */
export const APP_MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
});

export interface AppFile {
  /** Absolute path inside the root. */
  readonly filePath: string;
  readonly contentType: string;
}

/**
 * Maps a request URL's path to a file under `rootDir`, or `undefined` (404).
 * `/` is `index.html`. Refuses `..` segments (raw or percent-encoded),
 * encoded slashes or backslashes, NUL bytes, hidden files, unknown
 * extensions, missing files and (after resolving symlinks) anything outside
 * the root.
 */
export async function resolveAppFile(rootDir: string, urlPath: string): Promise<AppFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(decoded) || /%2f|%5c/i.test(urlPath)) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.' || s.startsWith('.'))) return undefined;
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  const contentType = APP_MIME_TYPES[path.extname(relative).toLowerCase()];
  if (contentType === undefined) return undefined;

  const root = path.resolve(rootDir);
  const filePath = path.resolve(root, relative);
  if (!filePath.startsWith(root + path.sep)) return undefined;
  try {
    // A symlink inside the root must not lead out of it.
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(filePath)]);
    if (!realFile.startsWith(realRoot + path.sep)) return undefined;
  } catch {
    return undefined; // missing file
  }
  return { filePath, contentType };
}
