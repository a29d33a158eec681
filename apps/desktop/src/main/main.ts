/**
 * The main process: composition only. Every security decision lives in the
 * library (`electron-oidc`, `/bridge`, `/electron`), where it is tested; this
 * file wires them together in the order Electron requires.
 *
 * Configuration: the `OIDC_*` environment variables (see the library's
 * CONFIG_ENV_VARS), over an optional JSON file named by OIDC_CONFIG, over
 * the defaults (the local provider and API of `npm start`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, app, dialog, ipcMain, net, session, shell } from 'electron';
import {
  createDesktopAuth,
  defineConfig,
  fileProviderCache,
  keychainAccount,
  loadConfigFromEnv,
  openVault,
} from 'electron-oidc';
import type { AuthConfig, DesktopAuth } from 'electron-oidc';
import { mergeConfig, readConfigFile } from 'electron-oidc/config';
import { createBridgeHandlers } from 'electron-oidc/bridge';
import {
  DEFAULT_APP_HOST,
  DEFAULT_APP_SCHEME,
  electronNetFetch,
  hardenSession,
  hardenWebContents,
  registerAppProtocol,
  registerAppScheme,
  registerBridge,
  secureWebPreferences,
} from 'electron-oidc/electron';

const here = path.dirname(fileURLToPath(import.meta.url));
const PRELOAD_PATH = path.join(here, 'preload.cjs');
const RENDERER_DIR = path.join(here, 'renderer');
const APP_ORIGIN = `${DEFAULT_APP_SCHEME}://${DEFAULT_APP_HOST}`;
const APP_NAME = 'Electron OIDC Demo';

let mainWindow: BrowserWindow | undefined;

/** Brings the window to the front: after a second launch, and when the browser hands the sign-in back. */
function focusWindow(): void {
  const win = mainWindow;
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  if (process.platform === 'darwin') app.focus({ steal: true });
  win.focus();
}

/**
 * The system browser, and only for http(s): `shell.openExternal` with another
 * scheme can start any registered program (Electron security checklist 15,
 * "Do not use openExternal with untrusted content").
 */
async function openInSystemBrowser(url: string): Promise<void> {
  const { protocol } = new URL(url);
  if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`Refusing to open a ${protocol} URL.`);
  await shell.openExternal(url, { activate: true });
}

function createWindow(startUrl: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 960,
    height: 680,
    minWidth: 360,
    minHeight: 480,
    show: false,
    title: APP_NAME,
    backgroundColor: '#f5f6fa',
    webPreferences: secureWebPreferences(PRELOAD_PATH, { allowDevTools: !app.isPackaged }),
  });
  win.removeMenu();
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = undefined;
  });
  win.loadURL(startUrl).catch((err: unknown) => {
    console.error(`Could not load ${startUrl}: ${err instanceof Error ? err.message : String(err)}`);
  });
  return win;
}

/**
 * The library's layers (defaults, the OIDC_CONFIG file, the OIDC_* variables)
 * over the demo's own default: several accounts, each added from the account
 * switcher, unless the file or OIDC_ACCOUNTS says `single`.
 */
async function loadAppConfig(env: NodeJS.ProcessEnv): Promise<AuthConfig> {
  const file = env.OIDC_CONFIG || undefined;
  return defineConfig(
    mergeConfig(
      { accounts: 'multiple' },
      file === undefined ? undefined : await readConfigFile(file),
      loadConfigFromEnv(env),
    ),
  );
}

/** Says why the app cannot start, then exits with status 1. */
function failToStart(err: unknown): void {
  console.error(err);
  dialog.showErrorBox(`${APP_NAME} cannot start`, err instanceof Error ? err.message : String(err));
  app.exit(1);
}

async function start(): Promise<void> {
  // Every provider, API and picture request goes through Chromium's network stack: the
  // system's proxy settings, PAC file and certificate store, which Node's fetch ignores.
  const netFetch = electronNetFetch(net);
  let auth: DesktopAuth;
  try {
    const config = await loadAppConfig(process.env);
    // The session rests in the app's data folder, encrypted with a key kept in the OS
    // keychain (one per provider and client), so a token of any size fits every keychain;
    // without a keychain the session lasts until quit (never plaintext on disk).
    const vault = await openVault({
      service: APP_NAME,
      account: keychainAccount(config.issuer.href, config.clientId),
      directory: app.getPath('userData'),
    });
    // The provider's discovery document, kept while its Cache-Control allows: a silent sign-in
    // at the next launch then waits for the refresh grant only. The vault vouches for the file.
    const providerCache = fileProviderCache(
      path.join(app.getPath('userData'), 'provider-configuration.json'),
    );
    auth = createDesktopAuth({
      config,
      vault,
      openBrowser: openInSystemBrowser,
      providerCache,
      fetch: netFetch,
    });
  } catch (err) {
    failToStart(err);
    return;
  }

  hardenSession(session.defaultSession, { appOrigin: APP_ORIGIN });
  const { startUrl } = registerAppProtocol({ rootDir: RENDERER_DIR });

  const handlers = createBridgeHandlers(auth, { appOrigin: APP_ORIGIN, picture: { fetch: netFetch } });
  registerBridge(ipcMain, handlers, {
    appOrigin: APP_ORIGIN,
    windows: () => (mainWindow ? [mainWindow] : []),
  });

  let previousState = auth.state;
  auth.onStateChange((state) => {
    // The user just finished in the browser: come back to the front.
    if (previousState === 'signing-in' && state === 'signed-in') focusWindow();
    previousState = state;
  });

  mainWindow = createWindow(startUrl);
  app.on('activate', () => {
    if (!mainWindow) mainWindow = createWindow(startUrl);
  });
  app.on('before-quit', () => auth.close());

  // Sign in silently with the stored session; the window follows the pushed state.
  void auth.restore();
}

// One instance: a second launch focuses the first instead of starting a
// second sign-in listener and a second session.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Sandbox every renderer, whatever a window's options say (checklist 4); only before ready.
  app.enableSandbox();
  // Privileged schemes can be registered only before the app is ready.
  registerAppScheme(DEFAULT_APP_SCHEME);
  // Every webContents, including any the app did not mean to create, is kept on the app's origin.
  app.on('web-contents-created', (_event, contents) =>
    hardenWebContents(contents, { appOrigin: APP_ORIGIN }),
  );
  app.on('second-instance', focusWindow);
  app.on('window-all-closed', () => app.quit());
  // Any failure while starting, including after the configuration was loaded, ends the app visibly.
  app.whenReady().then(start).catch(failToStart);
}
