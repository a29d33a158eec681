import { ACCOUNTS_CHANNEL, BRIDGE_CHANNELS, SESSION_STATE_CHANNEL } from '../bridge/channels.ts';
import { AUTH_BRIDGE_KEY, isBridgeAccountList, isBridgeSessionState } from '../bridge/contract.ts';
import type { AuthBridge, BridgeAnswer, BridgeVerb, SensitiveMessageOptions } from '../bridge/contract.ts';

/**
 * Just what the preload uses of Electron's `contextBridge` and `ipcRenderer`.
 * Structural, so the preload is bundled without importing `electron` itself and
 * runs against a test transport in plain Chromium.
 */
export interface PreloadContextBridge {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

/** The IPC listener shape: Electron passes its event first, which the page must never see. */
export type PreloadIpcListener = (event: unknown, ...args: unknown[]) => void;

export interface PreloadIpcRenderer {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: PreloadIpcListener): unknown;
  removeListener(channel: string, listener: PreloadIpcListener): unknown;
}

export interface PreloadElectron {
  contextBridge: PreloadContextBridge;
  ipcRenderer: PreloadIpcRenderer;
}

/**
 * A subscription to what the main process pushes on `channel`: the listener
 * gets the value only, never the IPC event (whose `sender` is the
 * `ipcRenderer` itself), and only a value `accept` recognizes.
 */
function subscription<T>(
  ipcRenderer: PreloadIpcRenderer,
  channel: string,
  accept: (value: unknown) => value is T,
): (listener: (value: T) => void) => () => void {
  return (listener) => {
    if (typeof listener !== 'function') throw new TypeError('Expected a listener function.');
    const forward: PreloadIpcListener = (_event, value) => {
      if (accept(value)) listener(value);
    };
    ipcRenderer.on(channel, forward);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(channel, forward);
    };
  };
}

/**
 * Builds the object the renderer gets as `window.auth`: the verbs, nothing
 * else. Each verb invokes its one channel with no arguments, whatever the page
 * passes, but `getSensitiveMessage`, which forwards a fresh copy of its one
 * flag and nothing else the page's object holds, and `switchAccount` and
 * `removeAccount`, which forward their one id if it is a string (else `null`,
 * which the main process refuses). The subscriptions hand the listener the
 * state or the list only, never the IPC event.
 */
export function createAuthBridge(ipcRenderer: PreloadIpcRenderer): AuthBridge {
  const call =
    <V extends BridgeVerb>(verb: V) =>
    (): Promise<BridgeAnswer<V>> =>
      // The page's arguments are dropped here (and refused by the main process
      // if they got through some other way): these verbs take none.
      ipcRenderer.invoke(BRIDGE_CHANNELS[verb]) as Promise<BridgeAnswer<V>>;
  const callWithId =
    <V extends 'switchAccount' | 'removeAccount'>(verb: V) =>
    (id: string): Promise<BridgeAnswer<V>> =>
      // A primitive string or null, nothing with getters or a prototype of the page's.
      ipcRenderer.invoke(BRIDGE_CHANNELS[verb], typeof id === 'string' ? id : null) as Promise<
        BridgeAnswer<V>
      >;

  const bridge: AuthBridge = {
    signIn: call('signIn'),
    cancelSignIn: call('cancelSignIn'),
    signOut: call('signOut'),
    renewSession: call('renewSession'),
    getSessionState: call('getSessionState'),
    getProfile: call('getProfile'),
    getPrivateMessage: call('getPrivateMessage'),
    getSensitiveMessage: (options?: SensitiveMessageOptions) =>
      // A new object of plain data: no getter, proxy or prototype of the page's crosses over.
      ipcRenderer.invoke(BRIDGE_CHANNELS.getSensitiveMessage, {
        allowStepUp: options?.allowStepUp === true,
      }) as Promise<BridgeAnswer<'getSensitiveMessage'>>,
    onSessionState: subscription(ipcRenderer, SESSION_STATE_CHANNEL, isBridgeSessionState),
    listAccounts: call('listAccounts'),
    switchAccount: callWithId('switchAccount'),
    addAccount: call('addAccount'),
    removeAccount: callWithId('removeAccount'),
    onAccounts: subscription(ipcRenderer, ACCOUNTS_CHANNEL, isBridgeAccountList),
  };
  return Object.freeze(bridge);
}

/**
 * Exposes the auth bridge to the page as `window.auth` through
 * `contextBridge` (Electron security checklist: "Enable context isolation";
 * expose narrow verbs, never `ipcRenderer` or a generic `invoke`).
 *
 * @example
 * ```ts
 * // preload.ts, bundled as CommonJS (sandboxed preloads cannot be ES modules)
 * import { contextBridge, ipcRenderer } from 'electron';
 * import { exposeAuthBridge } from 'electron-oidc/preload';
 * exposeAuthBridge({ contextBridge, ipcRenderer });
 * ```
 */
export function exposeAuthBridge({ contextBridge, ipcRenderer }: PreloadElectron): void {
  contextBridge.exposeInMainWorld(AUTH_BRIDGE_KEY, createAuthBridge(ipcRenderer));
}
