import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import type { Session } from 'electron';
import { appResponseHeaders, resolveAppFile } from './app-files.ts';

export interface AppProtocolOptions {
  /** The directory of the built renderer (index.html, app.js, styles.css…). */
  rootDir: string;
  /** The scheme; registered privileged with {@link registerAppScheme} first. Default `app`. */
  scheme?: string;
  /** The one host the app answers on. Default `desktop`. */
  host?: string;
  /** The session to serve in. Default: the default session. */
  session?: Session;
}

export const DEFAULT_APP_SCHEME = 'app';
export const DEFAULT_APP_HOST = 'desktop';

function assertScheme(scheme: string): void {
  if (
    !/^[a-z][a-z0-9+.-]*$/.test(scheme) ||
    ['http', 'https', 'file', 'data', 'blob', 'about'].includes(scheme)
  ) {
    throw new TypeError(
      `The app scheme must be a custom lower-case scheme such as "app"; got ${JSON.stringify(scheme)}.`,
    );
  }
}

/**
 * Registers the app's scheme as privileged: `standard` (real origin, relative
 * URLs), `secure` (a secure context like https) and nothing more (no CSP
 * bypass, no service workers, no fetch API, no CORS). Call before
 * `app.whenReady()`; Electron allows it only then.
 *
 * Serving the app from its own scheme rather than `file://` is the Electron
 * security checklist's item 18 ("Avoid usage of the file:// protocol"): a
 * `file:` page shares its origin with every file on disk.
 */
export function registerAppScheme(scheme: string = DEFAULT_APP_SCHEME): void {
  assertScheme(scheme);
  protocol.registerSchemesAsPrivileged([
    {
      scheme,
      privileges: {
        standard: true,
        secure: true,
        bypassCSP: false,
        allowServiceWorkers: false,
        supportFetchAPI: false,
        corsEnabled: false,
        stream: false,
        codeCache: true,
      },
    },
  ]);
}

/**
 * Serves the built renderer from `scheme://host/`, e.g. `app://desktop/`:
 * GET and HEAD only, one host only, files under `rootDir` only (no traversal,
 * no symlink out, no hidden files, known types only), each response with the
 * app's CSP and `nosniff`. Returns the app's origin and its start URL.
 *
 * @example
 * ```ts
 * registerAppScheme(); // before ready
 * await app.whenReady();
 * const { origin, startUrl } = registerAppProtocol({ rootDir: fileURLToPath(new URL('./renderer/', import.meta.url)) });
 * await win.loadURL(startUrl);
 * ```
 */
export function registerAppProtocol(options: AppProtocolOptions): { origin: string; startUrl: string } {
  const scheme = options.scheme ?? DEFAULT_APP_SCHEME;
  const host = options.host ?? DEFAULT_APP_HOST;
  assertScheme(scheme);
  if (!/^[a-z0-9-]+$/.test(host))
    throw new TypeError(`The app host must be a lower-case name; got ${JSON.stringify(host)}.`);
  const handle =
    options.session?.protocol.handle.bind(options.session.protocol) ?? protocol.handle.bind(protocol);

  handle(scheme, (request) => serveAppRequest(request, options.rootDir, host));
  const origin = `${scheme}://${host}`;
  return { origin, startUrl: `${origin}/` };
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: appResponseHeaders('text/plain; charset=utf-8') });
}

/** The protocol handler's body, exported for tests. */
export async function serveAppRequest(request: Request, rootDir: string, host: string): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== host) return plain(404, 'Not found.');
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed.');
  const file = await resolveAppFile(rootDir, url.pathname);
  if (!file) return plain(404, 'Not found.');
  const response = await net.fetch(pathToFileURL(file.filePath).href);
  if (!response.ok) {
    await response.body?.cancel();
    return plain(404, 'Not found.');
  }
  if (request.method === 'HEAD') await response.body?.cancel();
  return new Response(request.method === 'HEAD' ? null : response.body, {
    status: 200,
    headers: appResponseHeaders(file.contentType),
  });
}
