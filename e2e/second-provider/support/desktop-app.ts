/**
 * The desktop app against any {@link ProfileStack}, built like e2e/desktop/harness.ts
 * (which is bound to the local provider): the real library and bridge handlers in this
 * Node process, the app's real renderer served with the app protocol's headers, and the
 * real preload bundled over the same Electron stand-in. A second Chromium context plays
 * the user's system browser.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDesktopAuth } from 'electron-oidc';
import type { DesktopAuth, Logger } from 'electron-oidc';
import { BRIDGE_CHANNELS, SESSION_STATE_CHANNEL, createBridgeHandlers, isAppUrl } from 'electron-oidc/bridge';
import type { BridgeHandlers, SessionState } from 'electron-oidc/bridge';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildRenderer, bundlePreload } from '../../../apps/desktop/scripts/build.ts';
import {
  appResponseHeaders,
  resolveAppFile,
} from '../../../packages/electron-oidc/src/electron/app-files.ts';
import { TestVault } from '../../desktop/harness.ts';
import type { ProfileStack } from './profiles.ts';

const standIn = fileURLToPath(new URL('../../desktop/electron-stand-in.ts', import.meta.url));
const quietLogger: Logger = { info: () => {}, warn: () => {}, error: (m) => console.error(`library: ${m}`) };

export interface AppLaunch {
  auth: DesktopAuth;
  handlers: BridgeHandlers;
  states: SessionState[];
  restored: Promise<SessionState>;
  close(): void;
}

export interface DesktopApp {
  vault: TestVault;
  /** Grant types the library sent to the token endpoint, in order. */
  grants: string[];
  /** URLs the library opened in the system browser. */
  opened: string[];
  /** The system browser's page for the most recently opened URL. */
  lastSystemPage(): Promise<Page>;
  readonly launch: AppLaunch;
  /** Quits the app (the vault stays) and starts it again. */
  relaunch(): AppLaunch;
  /** Opens the app's window and waits for its first screen. */
  openWindow(): Promise<Page>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Starts the app against `stack` in `browser`. The caller closes it. */
export async function startDesktopApp(stack: ProfileStack, browser: Browser): Promise<DesktopApp> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const work = await mkdtemp(path.join(tmpdir(), 'e2e-second-provider-app-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    await buildRenderer(work);
    const preload = await bundlePreload({ electronModule: standIn, platform: 'browser', format: 'iife' });

    const rendererServer = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const file = req.method === 'GET' ? await resolveAppFile(work, url.pathname) : undefined;
      if (!file) {
        res.writeHead(404, appResponseHeaders('text/plain; charset=utf-8')).end('Not found.');
        return;
      }
      res.writeHead(200, appResponseHeaders(file.contentType)).end(await readFile(file.filePath));
    });
    const appOrigin = await listen(rendererServer);
    cleanups.push(
      () =>
        new Promise((resolve) => {
          rendererServer.closeAllConnections();
          rendererServer.close(resolve);
        }),
    );

    const appContext: BrowserContext = await browser.newContext();
    cleanups.push(() => appContext.close());
    const systemContext: BrowserContext = await browser.newContext();
    cleanups.push(() => systemContext.close());

    const vault = new TestVault();
    const grants: string[] = [];
    const opened: string[] = [];
    let lastPage: Promise<Page> | undefined;
    const countingFetch = (url: string, init: RequestInit): Promise<Response> => {
      const grant = init.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
      if (grant !== null) grants.push(grant);
      return fetch(url, init);
    };

    const inbox: { queue: Array<{ channel: string; args: unknown[] }>; waiting?: (m: unknown) => void } = {
      queue: [],
    };
    const push = (channel: string, args: unknown[]) => {
      if (!appContext.pages().some((p) => isAppUrl(p.url(), appOrigin))) return;
      if (inbox.waiting) {
        const deliver = inbox.waiting;
        inbox.waiting = undefined;
        deliver({ channel, args });
      } else {
        inbox.queue.push({ channel, args });
      }
    };

    const start = (): AppLaunch => {
      const auth = createDesktopAuth({
        config: stack.config,
        vault,
        fetch: countingFetch,
        logger: quietLogger,
        openBrowser: async (url) => {
          opened.push(url);
          // Like shell.openExternal: hand the URL over; the browser loads it on its own.
          lastPage = (async () => {
            const page = await systemContext.newPage();
            await page.goto(url);
            return page;
          })();
        },
        retrySchedule: [10 * 60_000],
      });
      const handlers = createBridgeHandlers(auth, { appOrigin, log: () => {} });
      const states: SessionState[] = [];
      const unsubscribe = handlers.onSessionState((state) => {
        states.push(state);
        push(SESSION_STATE_CHANNEL, [state]);
      });
      return {
        auth,
        handlers,
        states,
        restored: auth.restore(),
        close() {
          unsubscribe();
          auth.close();
        },
      };
    };
    let launch = start();
    cleanups.push(() => launch.close());

    const channels = new Set<string>(Object.values(BRIDGE_CHANNELS));
    await appContext.exposeBinding('__electronIpcInvoke', async (source, channel: unknown, args: unknown) => {
      if (typeof channel !== 'string' || !channels.has(channel))
        throw new Error(`No handler for ${String(channel)}`);
      const handler = launch.handlers[channel as keyof BridgeHandlers] as (
        u: string,
        a: unknown,
      ) => Promise<unknown>;
      return handler(source.frame.url(), args);
    });
    await appContext.exposeBinding('__electronIpcPull', () => {
      const next = inbox.queue.shift();
      if (next) return next;
      return new Promise((resolve) => {
        inbox.waiting = resolve;
      });
    });
    await appContext.addInitScript({ content: preload });

    return {
      vault,
      grants,
      opened,
      lastSystemPage() {
        if (lastPage === undefined) throw new Error('The library has not opened the browser.');
        return lastPage;
      },
      get launch() {
        return launch;
      },
      relaunch() {
        launch.close();
        launch = start();
        return launch;
      },
      async openWindow() {
        const page = await appContext.newPage();
        await page.goto(`${appOrigin}/`);
        await page.locator('#view-loading').waitFor({ state: 'hidden' });
        return page;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
