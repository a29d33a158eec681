/**
 * The desktop app without Electron: the real library session and the real
 * bridge handlers in this Node process, the real renderer (built with the
 * app's own build script) served on loopback with the app's CSP, and the real
 * preload bundled for the browser over a thin transport (electron-stand-in.ts).
 * A second Chromium context plays the user's system browser. The provider and
 * the API are the caller's: the harness takes the library's configuration for
 * them, so it serves the local stack and the second provider profile alike.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestVault, closeServer, listenOnLoopback } from '@electron-oidc/test-support';
import { createDesktopAuth } from 'electron-oidc';
import type { AuthConfigInput, DesktopAuth, Logger, Vault } from 'electron-oidc';
import {
  ACCOUNTS_CHANNEL,
  BRIDGE_CHANNELS,
  SESSION_STATE_CHANNEL,
  createBridgeHandlers,
  isAppUrl,
} from 'electron-oidc/bridge';
import type { BridgeAccount, BridgeHandlers, BridgeSessionState } from 'electron-oidc/bridge';
// Only the plain-Node part of the Electron adapters: what the app protocol serves and with which headers.
import { appResponseHeaders, resolveAppFile } from 'electron-oidc/app-files';
import { buildRenderer, bundlePreload } from '@electron-oidc/desktop/build';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every token the provider issued during the run, read off the token endpoint's answers. */
export interface IssuedTokens {
  access: Set<string>;
  refresh: Set<string>;
  id: Set<string>;
}

/** A request the library sent to the API, with the access token it carried (`Bearer` or `DPoP`). */
export interface ApiRequest {
  url: string;
  accessToken: string | undefined;
}

/** What a bridge call answered, as the page received it. */
export interface BridgeCall {
  channel: string;
  senderUrl: string;
  args: unknown[];
  answer: unknown;
}

/** Serves the built renderer exactly as the app protocol does: same file resolution, same headers. */
function rendererServer(rootDir: string): Server {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = req.method === 'GET' ? await resolveAppFile(rootDir, url.pathname) : undefined;
    if (!file) {
      res.writeHead(404, appResponseHeaders('text/plain; charset=utf-8')).end('Not found.');
      return;
    }
    res.writeHead(200, appResponseHeaders(file.contentType)).end(await readFile(file.filePath));
  });
}

/** Another origin on loopback: a page the app's window should never show, and whose calls must be refused. */
function foreignServer(): Server {
  return createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!doctype html><title>Elsewhere</title><p>Elsewhere</p>');
  });
}

/** The user's system browser: a page per URL the library opens, in a context of its own. */
export interface SystemBrowser {
  readonly opened: string[];
  /** The page showing the most recently opened URL, once it has loaded. */
  lastPage(): Promise<Page>;
  open(url: string): Promise<void>;
}

function systemBrowser(context: BrowserContext): SystemBrowser {
  const opened: string[] = [];
  let last: Promise<Page> | undefined;
  return {
    opened,
    async lastPage() {
      if (!last) throw new Error('The library has not opened the browser.');
      return last;
    },
    async open(url: string) {
      opened.push(url);
      // Like shell.openExternal: hand the URL over and return; the browser loads it on its own.
      last = (async () => {
        const page = await context.newPage();
        await page.goto(url);
        return page;
      })();
    },
  };
}

/** One launch of the app: a library instance and its bridge handlers over the shared vault. */
export interface AppInstance {
  auth: DesktopAuth;
  handlers: BridgeHandlers;
  states: BridgeSessionState[];
  /** Every list of accounts the bridge pushed. */
  accountLists: BridgeAccount[][];
  /** The silent restore started at launch. */
  restored: ReturnType<DesktopAuth['restore']>;
  close(): void;
}

export interface DesktopHarnessOptions {
  /** The library's configuration: the provider and the API the app signs in with. */
  config: AuthConfigInput;
  /** The Chromium the app's windows and the system browser open in (the caller closes it). */
  browser: Browser;
  /**
   * The vault of each launch, as main.ts opens it at start-up (e.g. the OS
   * keychain and a userData folder). Default: one {@link TestVault} shared by
   * every launch, in memory, holding one account.
   */
  vault?: () => Vault;
  /** The library's clock (default `Date.now`): a test moves it past an access token's expiry. */
  now?: () => number;
}

export interface DesktopHarness {
  /** The context of the app's window(s): the preload and the IPC transport are installed here. */
  appContext: BrowserContext;
  /** The context playing the system browser. */
  systemContext: BrowserContext;
  system: SystemBrowser;
  vault: TestVault;
  tokens: IssuedTokens;
  /** Grant types the library sent to the token endpoint, in order. */
  grants: string[];
  /** The library's requests to the API, in order. */
  apiRequests: ApiRequest[];
  calls: BridgeCall[];
  /** The app's origin (the loopback server standing in for `app://desktop`). */
  appOrigin: string;
  appUrl: string;
  foreignUrl: string;
  /** The current launch. */
  app: AppInstance;
  /** Quits the current launch (the vault stays) and starts a new one, as a restart would. */
  relaunch(): AppInstance;
  /** Opens a window of the app and waits for its first screen. */
  openWindow(): Promise<Page>;
  /** Every request each window made, from its first load on. */
  windowRequests: Map<Page, string[]>;
  /** Closes the app, its servers and its browser contexts (not the browser, nor the provider and API). */
  close(): Promise<void>;
}

const quietLogger: Logger = { info: () => {}, warn: () => {}, error: (m) => console.error(`library: ${m}`) };

/**
 * Starts the desktop app against the provider and API `config` names. The test
 * that owns it must call `close()`.
 */
export async function startDesktopHarness({
  config,
  browser,
  vault: openLaunchVault,
  now,
}: DesktopHarnessOptions): Promise<DesktopHarness> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const work = await mkdtemp(path.join(tmpdir(), 'e2e-desktop-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));

    const rendererDir = path.join(work, 'renderer');
    await buildRenderer(rendererDir);
    const preload = await bundlePreload({
      electronModule: path.join(here, 'electron-stand-in.ts'),
      platform: 'browser',
      format: 'iife',
    });

    const appServer = rendererServer(rendererDir);
    const { origin: appOrigin } = await listenOnLoopback(appServer);
    cleanups.push(() => closeServer(appServer));
    const foreign = foreignServer();
    const { origin: foreignOrigin } = await listenOnLoopback(foreign);
    cleanups.push(() => closeServer(foreign));

    const appContext = await browser.newContext({ viewport: { width: 960, height: 680 } });
    cleanups.push(() => appContext.close());
    const systemContext = await browser.newContext();
    cleanups.push(() => systemContext.close());
    const system = systemBrowser(systemContext);

    const vault = new TestVault();
    const tokens: IssuedTokens = { access: new Set(), refresh: new Set(), id: new Set() };
    const grants: string[] = [];
    const apiRequests: ApiRequest[] = [];
    const apiOrigin = config.apiBaseUrl === undefined ? undefined : new URL(config.apiBaseUrl).origin;
    const tokenEndpoint = new URL('token', `${config.issuer}/`.replace(/\/+$/, '/')).href;
    // Records what the provider issues, so the attacker's-side checks know what to look for.
    const recordingFetch = async (url: string, init: RequestInit): Promise<Response> => {
      const grant = init.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
      if (grant !== null) grants.push(grant);
      if (apiOrigin !== undefined && new URL(url).origin === apiOrigin) {
        const authorization = new Headers(init.headers).get('authorization') ?? '';
        apiRequests.push({ url, accessToken: /^(?:Bearer|DPoP) (.+)$/.exec(authorization)?.[1] });
      }
      const response = await fetch(url, init);
      // The token endpoint itself: not the revocation endpoint beside it (/token/revocation), whose answer is empty.
      if (url === tokenEndpoint && response.ok) {
        const body = (await response.clone().json()) as Record<string, unknown>;
        if (typeof body.access_token === 'string') tokens.access.add(body.access_token);
        if (typeof body.refresh_token === 'string') tokens.refresh.add(body.refresh_token);
        if (typeof body.id_token === 'string') tokens.id.add(body.id_token);
      }
      return response;
    };

    const calls: BridgeCall[] = [];
    const inboxes = new Map<
      Page,
      { queue: Array<{ channel: string; args: unknown[] }>; waiting?: (m: unknown) => void }
    >();
    const inboxOf = (page: Page) => {
      let inbox = inboxes.get(page);
      if (!inbox) {
        inbox = { queue: [] };
        inboxes.set(page, inbox);
        page.once('close', () => inboxes.delete(page));
      }
      return inbox;
    };
    /** Like registerBridge: the state goes to the app's windows that show the app, nowhere else. */
    const push = (channel: string, args: unknown[]): void => {
      for (const page of appContext.pages()) {
        if (!isAppUrl(page.url(), appOrigin)) continue;
        const inbox = inboxOf(page);
        if (inbox.waiting) {
          const deliver = inbox.waiting;
          inbox.waiting = undefined;
          deliver({ channel, args });
        } else {
          inbox.queue.push({ channel, args });
        }
      }
    };

    const launch = (): AppInstance => {
      const auth = createDesktopAuth({
        config,
        vault: openLaunchVault?.() ?? vault,
        openBrowser: (url) => system.open(url),
        fetch: recordingFetch,
        logger: quietLogger,
        ...(now === undefined ? {} : { now }),
        // Background retries while offline wait long enough that the tests' own "Retry" clicks decide.
        retrySchedule: [10 * 60_000],
      });
      const handlers = createBridgeHandlers(auth, { appOrigin, log: () => {} });
      const states: BridgeSessionState[] = [];
      const accountLists: BridgeAccount[][] = [];
      const unsubscribeState = handlers.onSessionState((state) => {
        states.push(state);
        push(SESSION_STATE_CHANNEL, [state]);
      });
      const unsubscribeAccounts = handlers.onAccounts((accounts) => {
        accountLists.push(accounts);
        push(ACCOUNTS_CHANNEL, [accounts]);
      });
      // As main.ts does at launch: sign in silently with the stored session, if any.
      const restored = auth.restore();
      return {
        auth,
        handlers,
        states,
        accountLists,
        restored,
        close() {
          unsubscribeState();
          unsubscribeAccounts();
          auth.close();
        },
      };
    };

    let app = launch();
    cleanups.push(() => app.close());
    const channels = new Set<string>(Object.values(BRIDGE_CHANNELS));

    // The IPC transport: ipcMain.handle's side. The sender URL is the calling frame's, as event.senderFrame.url.
    await appContext.exposeBinding('__electronIpcInvoke', async (source, channel: unknown, args: unknown) => {
      if (typeof channel !== 'string' || !channels.has(channel)) {
        throw new Error(`No handler registered for '${String(channel)}'`);
      }
      const senderUrl = source.frame.url();
      const handler = app.handlers[channel as keyof BridgeHandlers] as (
        u: string,
        a: unknown,
      ) => Promise<unknown>;
      const answer = await handler(senderUrl, args);
      calls.push({ channel, senderUrl, args: Array.isArray(args) ? args : [args], answer });
      return answer;
    });
    await appContext.exposeBinding('__electronIpcPull', (source) => {
      const inbox = inboxOf(source.page);
      const next = inbox.queue.shift();
      if (next) return next;
      return new Promise((resolve) => {
        inbox.waiting = resolve;
      });
    });
    // Registered after the bindings, so it finds them and takes them off `window`.
    await appContext.addInitScript({ content: preload });

    const harness: DesktopHarness = {
      appContext,
      systemContext,
      system,
      vault,
      tokens,
      grants,
      apiRequests,
      calls,
      appOrigin,
      appUrl: `${appOrigin}/`,
      foreignUrl: `${foreignOrigin}/`,
      get app() {
        return app;
      },
      relaunch() {
        app.close();
        app = launch();
        return app;
      },
      windowRequests: new Map(),
      async openWindow() {
        const page = await appContext.newPage();
        const requests: string[] = [];
        harness.windowRequests.set(page, requests);
        page.on('request', (request) => requests.push(request.url()));
        await page.goto(`${appOrigin}/`);
        await page.locator('#view-loading').waitFor({ state: 'hidden' });
        return page;
      },
      close: cleanup,
    };
    return harness;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Where the harness's screenshots go: docs/screenshots/. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/**
 * Saves docs/screenshots/<name>.png of `win` with no hover or focus ring
 * showing, so the images are the same from run to run.
 */
export async function saveScreenshot(win: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  await win.mouse.move(1, 679);
  await win.evaluate(() => {
    (
      globalThis as unknown as { document: { activeElement: { blur?: () => void } | null } }
    ).document.activeElement?.blur?.();
  });
  // Two frames, so the last change is painted before the capture.
  await win.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const { requestAnimationFrame: raf } = globalThis as unknown as {
          requestAnimationFrame: (callback: () => void) => void;
        };
        raf(() => raf(() => resolve()));
      }),
  );
  await win.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), animations: 'disabled' });
}
