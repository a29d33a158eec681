import { describe, expect, it } from 'vitest';
import { ACCOUNTS_CHANNEL, BRIDGE_CHANNELS, SESSION_STATE_CHANNEL } from '../../src/bridge/channels.ts';
import type { AuthBridge, BridgeAccount } from '../../src/bridge/contract.ts';
import { exposeAuthBridge } from '../../src/preload/expose.ts';
import type { PreloadIpcListener } from '../../src/preload/expose.ts';

/** A small stand-in for Electron's contextBridge and ipcRenderer that records what the preload does. */
function fakeElectron() {
  const exposed = new Map<string, unknown>();
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const listeners = new Map<string, Set<PreloadIpcListener>>();
  const ipcRendererEvent = { sender: 'the ipcRenderer itself', ports: [] };
  return {
    exposed,
    invoked,
    listeners,
    emit(channel: string, ...args: unknown[]) {
      for (const listener of listeners.get(channel) ?? []) listener(ipcRendererEvent, ...args);
    },
    electron: {
      contextBridge: {
        exposeInMainWorld(key: string, api: unknown) {
          exposed.set(key, api);
        },
      },
      ipcRenderer: {
        async invoke(channel: string, ...args: unknown[]) {
          invoked.push({ channel, args });
          return { ok: true, value: null };
        },
        on(channel: string, listener: PreloadIpcListener) {
          if (!listeners.has(channel)) listeners.set(channel, new Set());
          listeners.get(channel)!.add(listener);
        },
        removeListener(channel: string, listener: PreloadIpcListener) {
          listeners.get(channel)?.delete(listener);
        },
      },
    },
  };
}

function exposedBridge() {
  const fake = fakeElectron();
  exposeAuthBridge(fake.electron);
  return { ...fake, auth: fake.exposed.get('auth') as AuthBridge };
}

describe('exposeAuthBridge', () => {
  it('exposes window.auth and nothing else', () => {
    const { exposed } = exposedBridge();
    expect([...exposed.keys()]).toEqual(['auth']);
  });

  it('exposes only the verbs, frozen: no ipcRenderer, no generic invoke or send', () => {
    const { auth } = exposedBridge();
    expect(Object.keys(auth).sort()).toEqual(
      [
        'addAccount',
        'cancelSignIn',
        'getPrivateMessage',
        'getProfile',
        'getSensitiveMessage',
        'getSessionState',
        'listAccounts',
        'onAccounts',
        'onSessionState',
        'removeAccount',
        'renewSession',
        'signIn',
        'signOut',
        'switchAccount',
      ].sort(),
    );
    expect(Object.isFrozen(auth)).toBe(true);
    for (const value of Object.values(auth)) expect(typeof value).toBe('function');
  });

  it('invokes each verb on its own channel with no arguments but its own, whatever the page passes', async () => {
    const { auth, invoked } = exposedBridge();
    const untyped = auth as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const verb of Object.keys(BRIDGE_CHANNELS) as Array<keyof typeof BRIDGE_CHANNELS>) {
      await untyped[verb]!('injected', { evil: true });
    }
    const ownArguments: Record<string, unknown[]> = {
      // getSensitiveMessage: its one flag, false unless the page said true.
      [BRIDGE_CHANNELS.getSensitiveMessage]: [{ allowStepUp: false }],
      // The account verbs: their one id (the main process checks it names a listed account).
      [BRIDGE_CHANNELS.switchAccount]: ['injected'],
      [BRIDGE_CHANNELS.removeAccount]: ['injected'],
    };
    expect(invoked).toEqual(
      Object.values(BRIDGE_CHANNELS).map((channel) => ({ channel, args: ownArguments[channel] ?? [] })),
    );
  });

  it.each([['switchAccount'], ['removeAccount']] as const)(
    '%s forwards its id only if it is a string, else null, and nothing after it',
    async (verb) => {
      const { auth, invoked } = exposedBridge();
      const untyped = auth[verb] as unknown as (...args: unknown[]) => Promise<unknown>;
      await untyped('QWxpY2VBbGljZUFs', { all: true });
      await untyped({ id: 'QWxpY2VBbGljZUFs', toString: (): string => 'QWxpY2VBbGljZUFs' });
      await untyped(new String('QWxpY2VBbGljZUFs'));
      await untyped();
      expect(invoked.map((call) => call.args)).toEqual([['QWxpY2VBbGljZUFs'], [null], [null], [null]]);
    },
  );

  it('getSensitiveMessage forwards a new object with the one flag, nothing else the page put in', async () => {
    const { auth, invoked } = exposedBridge();
    const untyped = auth.getSensitiveMessage as unknown as (...args: unknown[]) => Promise<unknown>;
    await untyped({ allowStepUp: true, accessToken: 'x', __proto__: { polluted: true } }, 'more');
    await untyped({ allowStepUp: 'yes' });
    await untyped();
    expect(invoked.map((call) => call.args)).toEqual([
      [{ allowStepUp: true }],
      [{ allowStepUp: false }],
      [{ allowStepUp: false }],
    ]);
    expect(Object.getPrototypeOf(invoked[0]!.args[0])).toBe(Object.prototype);
  });

  it('hands a session-state listener the state only, never the IPC event', () => {
    const { auth, emit } = exposedBridge();
    const calls: unknown[][] = [];
    auth.onSessionState((...args: unknown[]) => calls.push(args));
    emit(SESSION_STATE_CHANNEL, 'signed-in');
    expect(calls).toEqual([['signed-in']]);
  });

  it('drops a pushed state that is not one of the known states', () => {
    const { auth, emit } = exposedBridge();
    const calls: unknown[] = [];
    auth.onSessionState((state) => calls.push(state));
    emit(SESSION_STATE_CHANNEL, { toString: () => 'signed-in' });
    emit(SESSION_STATE_CHANNEL, 'root');
    expect(calls).toEqual([]);
  });

  it('unsubscribes, once, and only that listener', () => {
    const { auth, emit, listeners } = exposedBridge();
    const a: string[] = [];
    const b: string[] = [];
    const stopA = auth.onSessionState((s) => a.push(s));
    auth.onSessionState((s) => b.push(s));
    stopA();
    stopA();
    emit(SESSION_STATE_CHANNEL, 'offline');
    expect(a).toEqual([]);
    expect(b).toEqual(['offline']);
    expect(listeners.get(SESSION_STATE_CHANNEL)?.size).toBe(1);
  });

  it('refuses a listener that is not a function', () => {
    const { auth } = exposedBridge();
    expect(() => auth.onSessionState('alert(1)' as unknown as () => void)).toThrow(TypeError);
    expect(() => auth.onAccounts('alert(1)' as unknown as () => void)).toThrow(TypeError);
  });

  const alice: BridgeAccount = {
    id: 'QWxpY2VBbGljZUFs',
    name: 'Alice Liddell',
    email: 'alice@example.com',
    picture: 'data:image/png;base64,iVBORw0KGgo=',
    active: true,
    state: 'signed-in',
  };

  it('hands an accounts listener the list only, never the IPC event', () => {
    const { auth, emit } = exposedBridge();
    const calls: unknown[][] = [];
    auth.onAccounts((...args: unknown[]) => calls.push(args));
    emit(ACCOUNTS_CHANNEL, [alice]);
    emit(ACCOUNTS_CHANNEL, []);
    expect(calls).toEqual([[[alice]], [[]]]);
  });

  it.each([
    ['not a list', { 0: alice, length: 1 }],
    ['a malformed id', [{ ...alice, id: 'alice@example.com' }]],
    ['a remote picture', [{ ...alice, picture: 'https://evil.example/a.png' }]],
    ['a state that is not one', [{ ...alice, state: 'signing-in' }]],
    ['active as text', [{ ...alice, active: 'true' }]],
    ['a name that is not text', [{ ...alice, name: { toString: (): string => 'Alice' } }]],
    ['null among the accounts', [alice, null]],
  ] as Array<[string, unknown]>)('drops a pushed list with %s', (_what, pushed) => {
    const { auth, emit } = exposedBridge();
    const calls: unknown[] = [];
    auth.onAccounts((accounts) => calls.push(accounts));
    emit(ACCOUNTS_CHANNEL, pushed);
    expect(calls).toEqual([]);
  });

  it('unsubscribes an accounts listener, once', () => {
    const { auth, emit, listeners } = exposedBridge();
    const calls: unknown[] = [];
    const stop = auth.onAccounts((accounts) => calls.push(accounts));
    stop();
    stop();
    emit(ACCOUNTS_CHANNEL, [alice]);
    expect(calls).toEqual([]);
    expect(listeners.get(ACCOUNTS_CHANNEL)?.size).toBe(0);
  });
});
