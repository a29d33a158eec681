import { describe, expect, it } from 'vitest';
import { BRIDGE_CHANNELS, SESSION_STATE_CHANNEL } from '../../src/bridge/channels.ts';
import type { AuthBridge } from '../../src/bridge/contract.ts';
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
        'cancelSignIn',
        'getPrivateMessage',
        'getProfile',
        'getSensitiveMessage',
        'getSessionState',
        'onSessionState',
        'renewSession',
        'signIn',
        'signOut',
      ].sort(),
    );
    expect(Object.isFrozen(auth)).toBe(true);
    for (const value of Object.values(auth)) expect(typeof value).toBe('function');
  });

  it('invokes each verb on its own channel with no arguments, whatever the page passes', async () => {
    const { auth, invoked } = exposedBridge();
    const untyped = auth as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const verb of Object.keys(BRIDGE_CHANNELS) as Array<keyof typeof BRIDGE_CHANNELS>) {
      await untyped[verb]!('injected', { evil: true });
    }
    expect(invoked).toEqual(
      Object.values(BRIDGE_CHANNELS).map((channel) => ({
        channel,
        // getSensitiveMessage: its one flag, false unless the page said true.
        args: channel === BRIDGE_CHANNELS.getSensitiveMessage ? [{ allowStepUp: false }] : [],
      })),
    );
  });

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
  });
});
