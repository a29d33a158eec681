import type { BrowserWindow, Session, WebContents } from 'electron';
import { assertAppOrigin, isAppUrl } from '../bridge/origin.ts';
import { APP_CONTENT_SECURITY_POLICY } from './app-files.ts';

export interface HardenOptions {
  /** The app's own origin, e.g. `app://desktop`: the only place its windows may go. */
  appOrigin: string;
  /** Where refused navigations and requests are reported. Default `console.warn`. */
  log?: (message: string) => void;
}

const defaultLog = (message: string): void => console.warn(message);

/**
 * Keeps a `webContents` on the app's own origin (Electron security checklist
 * 13, "Disable or limit navigation", and 14, "Disable or limit creation of new
 * windows"): navigations and redirects elsewhere are cancelled, `window.open`
 * and `target=_blank` are denied, `<webview>` cannot be attached. Use it for
 * every `webContents` (`app.on('web-contents-created', …)`).
 */
export function hardenWebContents(contents: WebContents, options: HardenOptions): void {
  const appOrigin = assertAppOrigin(options.appOrigin);
  const log = options.log ?? defaultLog;
  const refuseUnlessApp = (what: string) => (event: { url: string; preventDefault(): void }) => {
    if (!isAppUrl(event.url, appOrigin)) {
      event.preventDefault();
      log(`electron-oidc: refused ${what} to ${event.url}`);
    }
  };
  contents.on('will-navigate', refuseUnlessApp('navigation'));
  contents.on('will-frame-navigate', refuseUnlessApp('frame navigation'));
  contents.on('will-redirect', refuseUnlessApp('redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('electron-oidc: refused to attach a <webview>');
  });
  contents.setWindowOpenHandler(({ url }) => {
    log(`electron-oidc: refused to open a window for ${url}`);
    return { action: 'deny' };
  });
}

/** {@link hardenWebContents} for a window's contents. */
export function hardenWindow(win: BrowserWindow, options: HardenOptions): void {
  hardenWebContents(win.webContents, options);
}

/** Schemes a renderer of the app may still load besides its own origin: inline images, and DevTools in development. */
const RENDERER_SCHEMES_ALLOWED = new Set(['data:', 'devtools:']);

/**
 * Hardens the session the app's windows use:
 *
 * - every permission request and check is denied (checklist 5, "Handle
 *   session permission requests"): the app needs no camera, notifications,
 *   geolocation, HID, USB or serial device;
 * - the app's responses carry the CSP header (checklist 7), replacing any
 *   other policy;
 * - a renderer's request anywhere but the app's origin is cancelled: the page
 *   talks to the main process through the bridge only, which is what lets the
 *   CSP name no remote origin. Requests the main process makes itself (no
 *   `webContents`) are left alone.
 */
export function hardenSession(session: Session, options: HardenOptions): void {
  const appOrigin = assertAppOrigin(options.appOrigin);
  const log = options.log ?? defaultLog;
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log(`electron-oidc: denied permission request "${permission}"`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const fromRenderer = details.webContentsId !== undefined;
    const allowed =
      !fromRenderer ||
      isAppUrl(details.url, appOrigin) ||
      RENDERER_SCHEMES_ALLOWED.has(new URL(details.url).protocol);
    if (!allowed) log(`electron-oidc: cancelled a renderer request to ${details.url}`);
    callback({ cancel: !allowed });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!isAppUrl(details.url, appOrigin)) {
      callback({});
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [APP_CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
}
