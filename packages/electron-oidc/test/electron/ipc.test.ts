import { describe, expect, it, vi } from 'vitest';
import type { IpcMainInvokeEvent } from 'electron';

vi.mock('electron', () => ({}));

const { registerBridge } = await import('../../src/electron/ipc.ts');
const { ACCOUNTS_CHANNEL, BRIDGE_CHANNELS, SESSION_STATE_CHANNEL } =
  await import('../../src/bridge/channels.ts');
const { createBridgeHandlers } = await import('../../src/bridge/handlers.ts');

const APP = 'app://desktop';

type InvokeHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

function fakeIpcMain() {
  const handlers = new Map<string, InvokeHandler>();
  return {
    handlers,
    ipcMain: {
      handle: (channel: string, handler: InvokeHandler) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, handler);
      },
      removeHandler: (channel: string) => void handlers.delete(channel),
    },
  };
}

function fakeWindow(url = 'app://desktop/index.html') {
  const sent: unknown[][] = [];
  const mainFrame = { url, parent: null };
  const webContents = {
    mainFrame,
    getURL: () => url,
    send: (...args: unknown[]) => void sent.push(args),
  };
  return { sent, win: { webContents, isDestroyed: () => false }, mainFrame };
}

const ALICE = { id: 'aaaaaaaaaaaaaaaa', name: 'Alice', active: true, state: 'signed-in' };

function fakeAuth() {
  const listeners = new Set<(state: string) => void>();
  const accountListeners = new Set<() => void>();
  const auth = {
    accounts: [] as Array<typeof ALICE>,
    listAccounts: () => auth.accounts,
    onAccountsChange(listener: () => void) {
      accountListeners.add(listener);
      return () => accountListeners.delete(listener);
    },
    setAccounts(accounts: Array<typeof ALICE>) {
      auth.accounts = accounts;
      for (const l of accountListeners) l();
    },
    accountListeners,
    useAccount: async () => 'signed-in',
    state: 'signed-out',
    calls: 0,
    async signIn() {
      auth.calls++;
    },
    cancelSignIn() {},
    async signOut() {
      return undefined;
    },
    getAccessToken: async () => 'token',
    getProfile: () => ({ name: 'Alice' }),
    fetchApi: async () => Response.json({ message: 'hi' }),
    onStateChange(listener: (state: string) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setState(state: string) {
      auth.state = state;
      for (const l of listeners) l(state);
    },
    listeners,
  };
  return auth;
}

function setUp() {
  const { ipcMain, handlers } = fakeIpcMain();
  const auth = fakeAuth();
  const own = fakeWindow();
  const bridge = createBridgeHandlers(auth, { appOrigin: APP, log: () => {} });
  const dispose = registerBridge(ipcMain, bridge, {
    appOrigin: APP,
    windows: () => [own.win as never],
  });
  const invoke = (event: unknown, channel: string, ...args: unknown[]) =>
    handlers.get(channel)!(event as IpcMainInvokeEvent, ...args);
  return { handlers, auth, own, dispose, invoke };
}

describe('registerBridge', () => {
  it('handles every channel once', () => {
    const { handlers } = setUp();
    expect([...handlers.keys()].sort()).toEqual(Object.values(BRIDGE_CHANNELS).sort());
  });

  it("answers the top frame of the app's own window", async () => {
    const { own, invoke, auth } = setUp();
    const event = { sender: own.win.webContents, senderFrame: own.mainFrame };
    expect(await invoke(event, BRIDGE_CHANNELS.signIn)).toEqual({ ok: true, value: null });
    expect(auth.calls).toBe(1);
  });

  it('refuses a webContents that is not one of the app windows, even on the app origin', async () => {
    const { invoke, auth } = setUp();
    const stranger = fakeWindow();
    const event = { sender: stranger.win.webContents, senderFrame: stranger.mainFrame };
    expect(await invoke(event, BRIDGE_CHANNELS.signIn)).toMatchObject({
      ok: false,
      error: { code: 'ERR_SENDER_REFUSED' },
    });
    expect(auth.calls).toBe(0);
  });

  it('refuses a subframe of the app window', async () => {
    const { own, invoke, auth } = setUp();
    const event = {
      sender: own.win.webContents,
      senderFrame: { url: 'app://desktop/frame.html', parent: own.mainFrame },
    };
    expect(await invoke(event, BRIDGE_CHANNELS.signIn)).toMatchObject({
      ok: false,
      error: { code: 'ERR_SENDER_REFUSED' },
    });
    expect(auth.calls).toBe(0);
  });

  it('refuses a sender frame that is gone', async () => {
    const { own, invoke } = setUp();
    expect(
      await invoke({ sender: own.win.webContents, senderFrame: null }, BRIDGE_CHANNELS.getProfile),
    ).toMatchObject({
      ok: false,
      error: { code: 'ERR_SENDER_REFUSED' },
    });
  });

  it('passes the frame URL to the origin check: the app window showing another origin is refused', async () => {
    const { own, invoke } = setUp();
    const event = {
      sender: own.win.webContents,
      senderFrame: { url: 'https://evil.example/', parent: null },
    };
    expect(await invoke(event, BRIDGE_CHANNELS.getProfile)).toMatchObject({
      ok: false,
      error: { code: 'ERR_SENDER_REFUSED' },
    });
  });

  it('passes the arguments to the argument check', async () => {
    const { own, invoke } = setUp();
    const event = { sender: own.win.webContents, senderFrame: own.mainFrame };
    expect(await invoke(event, BRIDGE_CHANNELS.getProfile, 'x')).toMatchObject({
      ok: false,
      error: { code: 'ERR_INVALID_ARGUMENTS' },
    });
  });

  it("pushes state changes to the app's windows", () => {
    const { own, auth } = setUp();
    auth.setState('signing-in');
    auth.setState('signed-in');
    auth.setState('offline');
    expect(own.sent).toEqual([
      [SESSION_STATE_CHANNEL, 'restoring'],
      [SESSION_STATE_CHANNEL, 'signed-in'],
      [SESSION_STATE_CHANNEL, 'offline'],
    ]);
  });

  it('pushes nothing to a window that no longer shows the app', () => {
    const { ipcMain } = fakeIpcMain();
    const auth = fakeAuth();
    const away = fakeWindow('https://evil.example/');
    const bridge = createBridgeHandlers(auth, { appOrigin: APP, log: () => {} });
    registerBridge(ipcMain, bridge, {
      appOrigin: APP,
      windows: () => [away.win as never],
    });
    auth.setState('signed-in');
    expect(away.sent).toEqual([]);
  });

  it("pushes the list of accounts to the app's windows, and to no other", async () => {
    const { ipcMain } = fakeIpcMain();
    const auth = fakeAuth();
    const own = fakeWindow();
    const away = fakeWindow('https://evil.example/');
    const bridge = createBridgeHandlers(auth, { appOrigin: APP, log: () => {} });
    registerBridge(ipcMain, bridge, { appOrigin: APP, windows: () => [own.win as never, away.win as never] });
    auth.setAccounts([ALICE]);
    const pushed = [ACCOUNTS_CHANNEL, [{ ...ALICE, email: null, picture: null }]];
    await vi.waitFor(() => expect(own.sent).toEqual([pushed]));
    expect(away.sent).toEqual([]);
  });

  it('unregisters every handler and both subscriptions', () => {
    const { handlers, dispose, auth } = setUp();
    expect(auth.accountListeners.size).toBe(1);
    dispose();
    expect(handlers.size).toBe(0);
    expect(auth.listeners.size).toBe(0);
    expect(auth.accountListeners.size).toBe(0);
  });
});
