/**
 * main.ts is composition only; this checks the composition against a small
 * mock of `electron` (its binary cannot run here): the order Electron needs,
 * the secure window, the single-instance lock, what reaches the system
 * browser, and the network the library's requests take (Electron's `net.fetch`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as ElectronOidc from 'electron-oidc';
import type * as ElectronOidcBridge from 'electron-oidc/bridge';
import type { BridgeHandlerOptions } from 'electron-oidc/bridge';

type Listener = (...args: unknown[]) => unknown;

/** Electron's windows, standing in: each one created is kept in `windows`. */
const fakeWindows = vi.hoisted(() => {
  class Emitter {
    readonly listeners = new Map<string, Listener[]>();
    on(event: string, listener: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    once(event: string, listener: Listener) {
      return this.on(event, listener);
    }
    emit(event: string, ...args: unknown[]) {
      for (const listener of this.listeners.get(event) ?? []) listener(...args);
    }
  }

  class FakeWebContents extends Emitter {
    setWindowOpenHandler = vi.fn();
    send = vi.fn();
    getURL = () => 'app://desktop/';
  }

  const windows: FakeBrowserWindow[] = [];
  const control = { loadError: undefined as Error | undefined };
  class FakeBrowserWindow extends Emitter {
    readonly options: Record<string, unknown>;
    readonly webContents = new FakeWebContents();
    loadURL = vi.fn(async () => {
      if (control.loadError !== undefined) throw control.loadError;
    });
    removeMenu = vi.fn();
    show = vi.fn();
    focus = vi.fn();
    restore = vi.fn();
    isMinimized = vi.fn(() => false);
    isDestroyed = () => false;
    constructor(options: Record<string, unknown>) {
      super();
      this.options = options;
      windows.push(this);
    }
  }

  return { Emitter, FakeBrowserWindow, windows, control };
});

const fake = vi.hoisted(() => {
  const { Emitter, FakeBrowserWindow, windows, control } = fakeWindows;
  let ready: () => void = () => {};
  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    lock: true,
    requestSingleInstanceLock: vi.fn(() => app.lock),
    enableSandbox: vi.fn(),
    quit: vi.fn(),
    exit: vi.fn(),
    focus: vi.fn(),
    whenReady: vi.fn(() => new Promise<void>((resolve) => (ready = resolve))),
    getPath: vi.fn((name: string) => `/fake-home/${name}`),
  });

  const auth = {
    state: 'signed-out',
    listeners: [] as Array<(state: string) => void>,
    onStateChange: vi.fn((listener: (state: string) => void) => {
      auth.listeners.push(listener);
      return () => {};
    }),
    setState(state: string) {
      auth.state = state;
      for (const listener of auth.listeners) listener(state);
    },
    restore: vi.fn(async () => 'signed-out'),
    listAccounts: vi.fn(() => []),
    onAccountsChange: vi.fn(() => () => {}),
    useAccount: vi.fn(),
    signIn: vi.fn(),
    cancelSignIn: vi.fn(),
    signOut: vi.fn(),
    getAccessToken: vi.fn(),
    getProfile: vi.fn(),
    fetchApi: vi.fn(),
    close: vi.fn(),
  };

  return {
    control,
    windows,
    auth,
    makeReady: () => ready(),
    electron: {
      app,
      BrowserWindow: FakeBrowserWindow,
      protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
      net: { fetch: vi.fn() },
      ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
      shell: { openExternal: vi.fn(async () => {}) },
      dialog: { showErrorBox: vi.fn() },
      session: {
        defaultSession: {
          setPermissionRequestHandler: vi.fn(),
          setPermissionCheckHandler: vi.fn(),
          setDevicePermissionHandler: vi.fn(),
          webRequest: { onBeforeRequest: vi.fn(), onHeadersReceived: vi.fn() },
        },
      },
    },
    openVault: vi.fn(async () => ({
      kind: 'memory',
      persistent: false,
      read: async () => undefined,
      write: async () => {},
      clear: async () => {},
    })),
    createDesktopAuth: vi.fn(
      (_options: {
        config: { accounts: string; issuer: URL };
        openBrowser: (url: string) => Promise<void>;
        providerCache?: unknown;
        fetch?: (url: string, init: RequestInit) => Promise<Response>;
      }) => auth,
    ),
    fileProviderCache: vi.fn((file: string) => ({
      file,
      read: async () => undefined,
      write: async () => {},
    })),
  };
});

vi.mock('electron', () => fake.electron);
vi.mock('electron-oidc', async (importOriginal) => ({
  ...(await importOriginal<typeof ElectronOidc>()),
  openVault: fake.openVault,
  createDesktopAuth: fake.createDesktopAuth,
  fileProviderCache: fake.fileProviderCache,
}));

// The real handlers, watched: the test reads the options main.ts gives them.
vi.mock('electron-oidc/bridge', async (importOriginal) => {
  const bridge = await importOriginal<typeof ElectronOidcBridge>();
  return { ...bridge, createBridgeHandlers: vi.fn(bridge.createBridgeHandlers) };
});

const { BRIDGE_CHANNELS, createBridgeHandlers } = await import('electron-oidc/bridge');

async function launch(): Promise<void> {
  vi.resetModules();
  await import('../src/main/main.ts');
}

async function launchAndWaitForWindow() {
  await launch();
  fake.makeReady();
  await vi.waitFor(() => expect(fake.auth.restore).toHaveBeenCalled());
  return fake.windows.at(-1)!;
}

const savedEnv = { ...process.env };

beforeEach(() => {
  // The defaults (the local provider) only: no OIDC_* variable of the machine running the tests.
  for (const name of Object.keys(process.env)) if (name.startsWith('OIDC_')) delete process.env[name];
  vi.clearAllMocks();
  fake.windows.length = 0;
  fake.auth.listeners.length = 0;
  fake.electron.app.listeners.clear();
  fake.electron.app.lock = true;
  fake.control.loadError = undefined;
});

afterEach(() => {
  vi.resetModules();
  process.env = { ...savedEnv };
});

describe('main.ts: start-up, in the order Electron needs', () => {
  it('quits at once when another instance holds the lock, touching nothing else', async () => {
    fake.electron.app.lock = false;
    await launch();
    expect(fake.electron.app.quit).toHaveBeenCalled();
    expect(fake.electron.protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
    expect(fake.electron.app.enableSandbox).not.toHaveBeenCalled();
    expect(fake.electron.app.whenReady).not.toHaveBeenCalled();
  });

  it('sandboxes every renderer and registers the privileged app scheme before the app is ready', async () => {
    await launch();
    expect(fake.electron.app.enableSandbox).toHaveBeenCalled();
    expect(fake.electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      expect.objectContaining({
        scheme: 'app',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      }),
    ]);
    expect(fake.windows).toHaveLength(0);
  });

  it('opens one window with the secure webPreferences on app://desktop/', async () => {
    const win = await launchAndWaitForWindow();
    expect(fake.windows).toHaveLength(1);
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      preload: expect.stringMatching(/[/\\]preload\.cjs$/),
    });
    expect(win.loadURL).toHaveBeenCalledWith('app://desktop/');
    expect(fake.electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
  });

  it('hardens the session and registers every bridge channel', async () => {
    await launchAndWaitForWindow();
    const session = fake.electron.session.defaultSession;
    expect(session.setPermissionRequestHandler).toHaveBeenCalled();
    expect(session.setPermissionCheckHandler).toHaveBeenCalled();
    expect(session.webRequest.onHeadersReceived).toHaveBeenCalled();
    const channels = fake.electron.ipcMain.handle.mock.calls.map(([channel]) => channel);
    expect(channels.sort()).toEqual(Object.values(BRIDGE_CHANNELS).sort());
  });

  it('hardens every webContents the app creates', async () => {
    await launch();
    const contents = { on: vi.fn(), setWindowOpenHandler: vi.fn() };
    fake.electron.app.emit('web-contents-created', {}, contents);
    expect(contents.setWindowOpenHandler).toHaveBeenCalled();
    expect(contents.on).toHaveBeenCalledWith('will-navigate', expect.any(Function));
  });
});

describe('main.ts: the session, its network and the system browser', () => {
  it("keeps the session sealed in the app's userData folder, its key in the OS keychain, one per provider and client", async () => {
    await launchAndWaitForWindow();
    expect(fake.openVault).toHaveBeenCalledWith({
      service: 'Electron OIDC Demo',
      account: 'http://127.0.0.1:4000/ desktop-app',
      directory: '/fake-home/userData',
    });
  });

  it("keeps the provider's discovery document in the app's userData folder for the next launch", async () => {
    await launchAndWaitForWindow();
    expect(fake.electron.app.getPath).toHaveBeenCalledWith('userData');
    const file = fake.fileProviderCache.mock.calls[0]![0];
    expect(file.replaceAll('\\', '/')).toBe('/fake-home/userData/provider-configuration.json');
    expect(fake.createDesktopAuth.mock.calls[0]![0].providerCache).toMatchObject({ file });
  });

  it("sends the library's provider and API requests through Electron's net.fetch (system proxy, PAC, OS trust store), not Node's fetch", async () => {
    const nodeFetch = vi.fn(async () => new Response('from Node'));
    vi.stubGlobal('fetch', nodeFetch);
    try {
      await launchAndWaitForWindow();
      fake.electron.net.fetch.mockResolvedValue(new Response('from net.fetch'));
      const { fetch } = fake.createDesktopAuth.mock.calls[0]![0];
      const response = await fetch!('https://idp.example.com/token', { method: 'POST', body: 'a=b' });
      expect(await response.text()).toBe('from net.fetch');
      expect(fake.electron.net.fetch).toHaveBeenCalledWith(
        'https://idp.example.com/token',
        expect.objectContaining({ method: 'POST', body: 'a=b', credentials: 'omit' }),
      );
      expect(nodeFetch).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('fetches the profile picture through the same net.fetch', async () => {
    await launchAndWaitForWindow();
    const options = vi.mocked(createBridgeHandlers).mock.calls[0]![1] as BridgeHandlerOptions;
    expect(options.picture?.fetch).toBeTypeOf('function');
    expect(options.picture?.fetch).toBe(fake.createDesktopAuth.mock.calls[0]![0].fetch);
  });

  it('keeps several accounts: the demo signs in another one from its account switcher', async () => {
    await launchAndWaitForWindow();
    expect(fake.createDesktopAuth.mock.calls[0]![0].config.accounts).toBe('multiple');
  });

  it('keeps one account when OIDC_ACCOUNTS says single', async () => {
    process.env.OIDC_ACCOUNTS = 'single';
    await launchAndWaitForWindow();
    expect(fake.createDesktopAuth.mock.calls[0]![0].config.accounts).toBe('single');
  });

  it('keeps one account when the OIDC_CONFIG file says single, and OIDC_* variables still win over the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'desktop-config-'));
    try {
      const file = path.join(dir, 'oidc.json');
      await writeFile(file, JSON.stringify({ accounts: 'single', issuer: 'https://login.example.com' }));
      process.env.OIDC_CONFIG = file;
      process.env.OIDC_ISSUER = 'https://idp.example.org';
      await launchAndWaitForWindow();
      const { config } = fake.createDesktopAuth.mock.calls[0]![0];
      expect(config.accounts).toBe('single');
      expect(config.issuer.href).toBe('https://idp.example.org/');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('restores the session silently at launch', async () => {
    await launchAndWaitForWindow();
    expect(fake.auth.restore).toHaveBeenCalledTimes(1);
    expect(fake.auth.signIn).not.toHaveBeenCalled();
  });

  it('opens only http(s) URLs in the system browser', async () => {
    await launchAndWaitForWindow();
    const { openBrowser } = fake.createDesktopAuth.mock.calls[0]![0];
    await expect(openBrowser('file:///etc/passwd')).rejects.toThrow(/Refusing/);
    await expect(openBrowser('ms-msdt:/id PCWDiagnostic')).rejects.toThrow(/Refusing/);
    expect(fake.electron.shell.openExternal).not.toHaveBeenCalled();
    await openBrowser('https://login.example.com/authorize?x=1');
    expect(fake.electron.shell.openExternal).toHaveBeenCalledWith('https://login.example.com/authorize?x=1', {
      activate: true,
    });
  });
});

describe('main.ts: bringing the window to the front', () => {
  it('brings the window to the front when a second instance starts', async () => {
    const win = await launchAndWaitForWindow();
    win.isMinimized.mockReturnValue(true);
    fake.electron.app.emit('second-instance');
    expect(win.restore).toHaveBeenCalled();
    expect(win.focus).toHaveBeenCalled();
  });

  it('brings the window to the front when the user finishes signing in in the browser', async () => {
    const win = await launchAndWaitForWindow();
    fake.auth.setState('signing-in');
    expect(win.focus).not.toHaveBeenCalled();
    fake.auth.setState('signed-in');
    expect(win.focus).toHaveBeenCalledTimes(1);
  });
});

describe('main.ts: failing to start, visibly', () => {
  it('says what is wrong and exits when the configuration is invalid', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    process.env.OIDC_CONFIG = '/nonexistent/oidc.json';
    await launch();
    fake.makeReady();
    await vi.waitFor(() => expect(fake.electron.app.exit).toHaveBeenCalledWith(1));
    expect(fake.electron.dialog.showErrorBox).toHaveBeenCalledWith(
      'Electron OIDC Demo cannot start',
      expect.stringContaining('/nonexistent/oidc.json'),
    );
    expect(fake.windows).toHaveLength(0);
    error.mockRestore();
  });

  it('an error thrown while starting after the configuration loaded shows the error box and exits 1', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    fake.electron.session.defaultSession.setPermissionRequestHandler.mockImplementationOnce(() => {
      throw new Error('session hardening failed');
    });
    await launch();
    fake.makeReady();
    await vi.waitFor(() => expect(fake.electron.app.exit).toHaveBeenCalledWith(1));
    expect(fake.electron.dialog.showErrorBox).toHaveBeenCalledWith(
      'Electron OIDC Demo cannot start',
      'session hardening failed',
    );
    expect(fake.windows).toHaveLength(0);
    error.mockRestore();
  });

  it('a window page that fails to load is logged, not an unhandled rejection', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    fake.control.loadError = new Error('ERR_FILE_NOT_FOUND');
    await launchAndWaitForWindow();
    await vi.waitFor(() => expect(error).toHaveBeenCalledWith(expect.stringContaining('ERR_FILE_NOT_FOUND')));
    expect(fake.electron.app.exit).not.toHaveBeenCalled();
    error.mockRestore();
  });
});
