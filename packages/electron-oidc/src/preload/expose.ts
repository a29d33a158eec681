import { BRIDGE_CHANNELS, SESSION_STATE_CHANNEL } from '../bridge/channels.ts';
import { AUTH_BRIDGE_KEY, isBridgeSessionState } from '../bridge/contract.ts';
import type {
  AuthBridge,
  BridgeAnswer,
  BridgeSessionState,
  BridgeVerb,
  SensitiveMessageOptions,
} from '../bridge/contract.ts';

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
 * Builds the object the renderer gets as `window.auth`: the verbs, nothing
 * else. Each verb invokes its one channel with no arguments, whatever the page
 * passes, but `getSensitiveMessage`, which forwards a fresh copy of its one
 * flag and nothing else the page's object holds; the subscription hands the listener the state only, never the IPC
 * event (whose `sender` is the `ipcRenderer` itself).
 */
export function createAuthBridge(ipcRenderer: PreloadIpcRenderer): AuthBridge {
  const call =
    <V extends BridgeVerb>(verb: V) =>
    (): Promise<BridgeAnswer<V>> =>
      // The page's arguments are dropped here (and refused by the main process
      // if they got through some other way): no verb takes any.
      ipcRenderer.invoke(BRIDGE_CHANNELS[verb]) as Promise<BridgeAnswer<V>>;

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
    onSessionState(listener: (state: BridgeSessionState) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('onSessionState expects a function.');
      const forward: PreloadIpcListener = (_event, state) => {
        if (isBridgeSessionState(state)) listener(state);
      };
      ipcRenderer.on(SESSION_STATE_CHANNEL, forward);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipcRenderer.removeListener(SESSION_STATE_CHANNEL, forward);
      };
    },
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
